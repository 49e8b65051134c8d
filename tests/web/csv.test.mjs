// The CSV export of the audit trail: quoting by RFC 4180, formulas defused, UTF-8 with a BOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { csvField, toCsv, auditColumns } from '../../web/js/csv.js';
import { useTable, t } from '../../web/js/i18n.js';

const table = JSON.parse(readFileSync(new URL('../../web/i18n/strings.json', import.meta.url), 'utf8'));

test('plain text stays as it is; empty values are empty fields', () => {
  assert.equal(csvField('case.read'), 'case.read');
  assert.equal(csvField(42), '42');
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
});

test('commas, semicolons, quotes and line breaks are quoted, quotes doubled', () => {
  assert.equal(csvField('Inge de Wit (PI Dordrecht), casemanager'), '"Inge de Wit (PI Dordrecht), casemanager"');
  assert.equal(csvField('a;b'), '"a;b"');
  assert.equal(csvField('zei "nee"'), '"zei ""nee"""');
  assert.equal(csvField('regel 1\nregel 2'), '"regel 1\nregel 2"');
  assert.equal(csvField('regel 1\r\nregel 2'), '"regel 1\r\nregel 2"');
});

test('a cell a spreadsheet would run as a formula is written as text', () => {
  assert.equal(csvField('=HYPERLINK("http://x.example")'), `"'=HYPERLINK(""http://x.example"")"`);
  assert.equal(csvField('+31 6'), "'+31 6");
  assert.equal(csvField('-1'), "'-1");
  assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvField('\tx'), "'\tx");
});

test('a document has a BOM, a header row and CRLF line ends', () => {
  const csv = toCsv([{ header: 'a', value: (r) => r.a }, { header: 'b', value: (r) => r.b }], [{ a: 1, b: 'x,y' }, { a: 2, b: null }]);
  assert.equal(csv, '\uFEFFa,b\r\n1,"x,y"\r\n2,\r\n');
});

test('the audit columns have their headers in both languages and name the case by id only', () => {
  const row = { at: '2026-12-02T09:00:00Z', actor_label: 'cliënt', actor_kind: 'invite', action: 'plan.read', case_id: 'c1', subject_kind: 'meeting', subject_id: 'm1', detail: null };
  for (const lang of ['nl', 'en']) {
    useTable(table, lang);
    const columns = auditColumns(t);
    for (const c of columns) assert.ok(!c.header.startsWith('admin.') && !c.header.startsWith('audit.'), `${c.header} is translated (${lang})`);
    const csv = toCsv(columns, [row]);
    assert.ok(csv.includes('2026-12-02T09:00:00Z,cliënt,invite,plan.read,c1,meeting m1,\r\n'), csv);
  }
});
