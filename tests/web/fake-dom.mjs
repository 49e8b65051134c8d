// Just enough of the DOM for `h()` in web/js/dom.js, so Node's tests can build the client's
// elements for real (they are only not drawn). Importing this installs it.

class FakeNode {}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    Object.assign(this, { tagName: tag.toUpperCase(), attributes: {}, children: [], dataset: {}, listeners: {}, textContent: '' });
  }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return this.attributes[name] ?? null; }
  append(...children) { this.children.push(...children); }
  replaceChildren(...children) { this.children = [...children]; }
  addEventListener(type, listener) { (this.listeners[type] ||= []).push(listener); }
  remove() {}
  get classList() {
    const names = () => new Set((this.className || '').split(' ').filter(Boolean));
    const write = (set) => { this.className = [...set].join(' '); };
    return {
      contains: (name) => names().has(name),
      toggle: (name, force = !names().has(name)) => {
        const set = names();
        if (force) set.add(name); else set.delete(name);
        write(set);
        return force;
      },
    };
  }
}

globalThis.Node = FakeNode;
globalThis.document = {
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (text) => Object.assign(new FakeNode(), { textContent: text }),
  // No live region in Node: announcements go nowhere.
  getElementById: () => null,
  visibilityState: 'visible',
  addEventListener() {},
  removeEventListener() {},
};

/** All the text of an element and its children, as a reader would get it. */
export function text(node) {
  return [node.textContent, ...(node.children || []).map(text)].join('');
}

/** Every element below `node` (itself included) with the tag `tag`. */
export function all(node, tag) {
  const below = (node.children || []).flatMap((c) => all(c, tag));
  return node.tagName === tag.toUpperCase() ? [node, ...below] : below;
}
