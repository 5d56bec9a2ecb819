// Markdown for job summaries (GitHub job summary and Azure DevOps build summary render the same subset).

export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map((c) => escapeCell(String(c))).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}

export function code(text: string): string {
  return '`' + text.replace(/`/g, "'") + '`';
}
