import { InputError } from '../platform/errors.js';

/**
 * Splits an argument string the way a POSIX shell would for words: whitespace separates,
 * single quotes are literal, double quotes allow \" and \\, a backslash outside quotes escapes
 * the next character. No expansion of any kind.
 */
export function splitArgs(text: string, input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new InputError(input, `has an unclosed ${quote === '"' ? 'double' : 'single'} quote: ${text}`);
  if (inWord) words.push(word);
  return words;
}
