import { allowedText, defaultText, type CommandSpec, type FlagSpec } from './flag-spec.js';

const WIDTH = 100;

/** The synopsis of a command: `vix-ttl decide --status STATUS [--minutes M] [flags]`. */
export function usageLine(spec: CommandSpec): string {
  return `vix-ttl ${spec.name} ${spec.synopsis}`;
}

/**
 * The whole help of a command, rendered from its flag table: every flag with its
 * value, meaning, default, allowed values and other sources (environment, config
 * file), so `--help` says exactly what the parser accepts.
 */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`vix-ttl ${spec.name} — ${spec.summary}`, '', `Usage: ${usageLine(spec)}`];
  for (const paragraph of spec.description?.split('\n\n') ?? []) {
    lines.push('', ...(paragraph.startsWith(' ') ? paragraph.split('\n') : wrap(paragraph.replace(/\n/g, ' '), WIDTH, '')));
  }
  if (spec.positional) lines.push('', 'Argument:', `  ${spec.positional.name}`, ...wrap(spec.positional.meaning, WIDTH, '        '));
  lines.push('', 'Flags:');
  for (const [name, flag] of Object.entries(spec.flags)) lines.push(...flagLines(name, flag));
  lines.push('  -h, --help', '        Show this help.');
  return lines.join('\n');
}

function flagLines(name: string, flag: FlagSpec): string[] {
  const head = flag.type === 'boolean' ? `  --${name}` : `  --${name} ${flag.value}`;
  const facts = [
    flag.required ? 'required' : null,
    defaultText(flag) === null ? null : `default ${defaultText(flag)}`,
    allowedText(flag),
    flag.type !== 'boolean' && flag.env ? `env ${flag.env}` : null,
    flag.type !== 'boolean' && flag.file ? `config file ${flag.file}` : null,
  ].filter((fact): fact is string => fact !== null);
  const indent = '        ';
  return [head, ...wrap(flag.meaning, WIDTH, indent), ...(facts.length > 0 ? wrap(facts.join(' · '), WIDTH, indent) : [])];
}

/** Wraps text at word boundaries to `width` columns, each line starting with `indent`. */
function wrap(text: string, width: number, indent: string): string[] {
  if (text === '' || text.startsWith(' ')) return [indent + text]; // blank or preformatted
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    if (line.length > indent.length && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${word}` : word;
  }
  lines.push(line);
  return lines;
}
