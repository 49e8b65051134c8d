// Tables on narrow screens: css/screens.css stacks the rows of a table (each cell on its own
// line, under the name of its column) when the screen is too narrow for its columns. The names
// come from here: every body cell gets its column header's text as `data-label`. One observer
// on <main> labels every table a page builds, also those rebuilt by live updates, so no page
// has to remember it.

/** The header texts of a table by column, with `colspan` taken into account. */
export function columnNames(table) {
  const head = table.tHead && table.tHead.rows[0];
  if (!head) return [];
  const names = [];
  for (const cell of head.cells) {
    const text = (cell.textContent || '').trim();
    for (let i = 0; i < (cell.colSpan || 1); i += 1) names.push(text);
  }
  return names;
}

/** Gives each body cell of `table` its column's name; marks the table as stackable. */
export function labelTable(table) {
  const names = columnNames(table);
  if (!names.length) return false;
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      let column = 0;
      for (const cell of row.cells) {
        // A cell across the whole row (a detail under a row) belongs to no one column.
        const name = (cell.colSpan || 1) >= names.length ? '' : names[column] || '';
        if (cell.getAttribute('data-label') !== name) cell.setAttribute('data-label', name);
        column += cell.colSpan || 1;
      }
    }
  }
  table.classList.add('stackable');
  return true;
}

/** Labels every table below `root` now and whenever the page changes. */
export function watchTables(root) {
  if (!root) return null;
  let queued = false;
  const run = () => {
    queued = false;
    for (const table of root.querySelectorAll('table')) labelTable(table);
  };
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    // Once per burst of changes, before the next frame is drawn.
    queueMicrotask(run);
  });
  observer.observe(root, { childList: true, subtree: true });
  run();
  return observer;
}
