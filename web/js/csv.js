// CSV for spreadsheets, written once: RFC 4180 quoting (a field with a comma, semicolon, quote
// or line break is quoted, quotes doubled), CRLF line ends, and a cell that a spreadsheet would
// run as a formula (starting with =, +, -, @, a tab or a carriage return) gets a leading
// apostrophe so it is read as text. Used for the audit trail the administrator exports.

const FORMULA = /^[=+\-@\t\r]/;

/** One field as CSV text. */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA.test(text)) text = `'${text}`;
  return /[",;\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A CSV document: a header row and one row per item. `columns`: [{ header, value(item) }].
 * Starts with a byte-order mark so spreadsheet programs read it as UTF-8 (é, ë).
 */
export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The columns of an audit-trail export (as the administrator's API gives the rows). */
export function auditColumns(t) {
  return [
    { header: t('audit.when'), value: (e) => e.at },
    { header: t('audit.who'), value: (e) => e.actor_label },
    { header: t('admin.audit.actor_kind'), value: (e) => e.actor_kind },
    { header: t('audit.what'), value: (e) => e.action },
    { header: t('admin.audit.case_id'), value: (e) => e.case_id },
    { header: t('admin.audit.subject'), value: (e) => (e.subject_kind ? `${e.subject_kind} ${e.subject_id || ''}`.trim() : '') },
    { header: t('admin.audit.detail'), value: (e) => e.detail },
  ];
}
