// Stacked tables on narrow screens name each cell after its column: the labels come from the
// header row, colspans included, and a table without a header is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnNames, labelTable } from '../../web/js/ui/stack-tables.js';

function cell(text, colSpan = 1) {
  const attributes = {};
  return { textContent: text, colSpan, attributes, setAttribute: (k, v) => { attributes[k] = v; }, getAttribute: (k) => attributes[k] ?? null };
}

function table(head, rows) {
  const classes = new Set();
  return {
    tHead: head ? { rows: [{ cells: head }] } : null,
    tBodies: [{ rows: rows.map((cells) => ({ cells })) }],
    classList: { add: (c) => classes.add(c) },
    classes,
  };
}

test('every body cell gets the name of its column, colspans counted', () => {
  const head = [cell(' Wat '), cell('Wie'), cell('Uiterlijk en status', 2)];
  const rows = [[cell('Kamer zoeken'), cell('Woonbron'), cell('16 nov.'), cell('Open')], [cell('Samen', 2), cell('1 dec.'), cell('Bezig')]];
  const t = table(head, rows);
  assert.deepEqual(columnNames(t), ['Wat', 'Wie', 'Uiterlijk en status', 'Uiterlijk en status']);
  assert.equal(labelTable(t), true);
  assert.deepEqual(rows[0].map((c) => c.attributes['data-label']), ['Wat', 'Wie', 'Uiterlijk en status', 'Uiterlijk en status']);
  assert.deepEqual(rows[1].map((c) => c.attributes['data-label']), ['Wat', 'Uiterlijk en status', 'Uiterlijk en status']);
  assert.ok(t.classes.has('stackable'));
});

test('a table without a header row is left as it is', () => {
  const rows = [[cell('a'), cell('b')]];
  const t = table(null, rows);
  assert.equal(labelTable(t), false);
  assert.equal(rows[0][0].attributes['data-label'], undefined);
  assert.ok(!t.classes.has('stackable'));
});
