/**
 * Finds the commands the docs show: fenced ```sh blocks, line by line, and `cellrig ...` in inline code.
 * The convention (docs/development.md, "Commands in the docs"):
 *
 * - ```sh        runs: each command in order, expected to exit 0 unless its comment says `exits N`
 * - ```sh server each line is a long-running process, ready when it prints the text its comment names
 *                (`ready when it prints "..."`); stopped with SIGINT, expected to exit 0
 * - ```sh <class> not run here, for the reason the class names (CLASSES)
 *
 * Comment lines and blank lines are skipped; a line ending in `\` continues on the next.
 */

/** Reasons a block cannot run in the docs test, by the word that marks it after ```sh. */
export const CLASSES = {
  setup: 'sets up the checkout itself (npm ci, npm test, a build, rewriting the examples)',
  docker: 'needs a Docker engine',
  pi: "needs the Pi's hardware (I2C, GPIO, a serial board) or systemd as root",
  lab: "needs the lab's servers (a broker or InfluxDB at a URL you fill in) or a mounted share",
} as const;

export type BlockKind = 'run' | 'server' | keyof typeof CLASSES;

export type Command = {
  /** 1-based line in the file where the command starts. */
  readonly line: number;
  /** The command as bash gets it: continuations joined, the trailing comment kept. */
  readonly text: string;
  /** The command without its trailing comment. */
  readonly command: string;
  readonly comment: string;
  readonly expectedExit: number;
  /** Server blocks: the text whose appearance in the output means the process is ready. */
  readonly readyText: string | null;
  /** Server blocks: the line ended with `&` (started in the background in a terminal). */
  readonly background: boolean;
};

export type Block = {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly info: string;
  readonly kind: BlockKind;
  readonly commands: readonly Command[];
};

export type DocProblem = { readonly file: string; readonly line: number; readonly message: string };

const SHELL_LANGUAGES = new Set(['bash', 'shell', 'console', 'zsh', 'shell-session', 'sh-session']);
// A line of an unlabelled or non-shell block that looks like something to type.
// (`cellrig sim: ...` is output: a program's message, not a command.)
const LOOKS_TYPED = /^\s*(\$ |npx |npm |cellrig [a-z][\w-]*(?=\s|$)|node dist\/|sudo |docker )/;

/** Index of the `#` that starts a trailing comment (outside quotes, at the start of a word), or -1. */
export function commentStart(line: string): number {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return i;
  }
  return -1;
}

function splitComment(text: string): { command: string; comment: string } {
  const at = commentStart(text);
  if (at < 0) return { command: text.trim(), comment: '' };
  return { command: text.slice(0, at).trim(), comment: text.slice(at + 1).trim() };
}

/** The commands of a block's body: comment and blank lines skipped, `\` continuations joined. */
export function commandsOf(body: readonly string[], firstLine: number): Command[] {
  const out: Command[] = [];
  for (let i = 0; i < body.length; i++) {
    const start = i;
    let text = body[i] ?? '';
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    while (/\\\s*$/.test(text) && i + 1 < body.length) {
      i++;
      text = `${text.replace(/\\\s*$/, '')}${body[i] ?? ''}`;
    }
    const { command, comment } = splitComment(text);
    const exits = /\bexits (\d+)\b/.exec(comment);
    const ready = /\bready when it prints "([^"]+)"/.exec(comment);
    const background = /&$/.test(command) && !/&&$/.test(command);
    out.push({
      line: firstLine + start,
      text: text.trim(),
      command: background ? command.replace(/&$/, '').trim() : command,
      comment,
      expectedExit: exits ? Number(exits[1]) : 0,
      readyText: ready ? (ready[1] ?? null) : null,
      background,
    });
  }
  return out;
}

/**
 * Every fenced block of a Markdown file that shows commands, with its kind; and what breaks the
 * convention (a shell block in another spelling, an unknown class, a server line without its ready text).
 */
export function extractBlocks(file: string, markdown: string): { blocks: Block[]; problems: DocProblem[] } {
  const lines = markdown.split(/\r?\n/);
  const blocks: Block[] = [];
  const problems: DocProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? '```';
    const info = (open[3] ?? '').trim();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.trim().startsWith(fence[0]!.repeat(fence.length)) && l.trim().replace(/[`~]/g, '') === '') break;
      // Content of a fence inside a list item is indented like its fence.
      body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
    }
    const blockLine = i + 1;
    i = j;
    const [lang = '', ...rest] = info.split(/\s+/).filter((w) => w !== '');
    if (lang !== 'sh') {
      if (SHELL_LANGUAGES.has(lang)) {
        problems.push({
          file,
          line: blockLine,
          message: `a \`\`\`${lang} block: write \`\`\`sh (with its class)`,
        });
      } else if ((lang === '' || lang === 'text') && body.some((l) => LOOKS_TYPED.test(l))) {
        problems.push({
          file,
          line: blockLine,
          message:
            'a block that is not ```sh shows a command (a line starting with $, npx, npm, cellrig, node, sudo or docker): put commands in a ```sh block and output in its comments or a block of their own',
        });
      }
      continue;
    }
    const word = rest[0];
    let kind: BlockKind = 'run';
    if (word === 'server') kind = 'server';
    else if (word !== undefined && word in CLASSES) kind = word as keyof typeof CLASSES;
    else if (word !== undefined) {
      problems.push({
        file,
        line: blockLine,
        message: `unknown class '${word}' after \`\`\`sh: use server or one of ${Object.keys(CLASSES).join(', ')}`,
      });
      continue;
    }
    const commands = commandsOf(body, blockLine + 1);
    for (const c of commands) {
      if (kind === 'server' && c.readyText === null) {
        problems.push({
          file,
          line: c.line,
          message: `a server line needs \`# ready when it prints "TEXT"\`: ${c.command}`,
        });
      }
      if (kind === 'run' && c.background) {
        problems.push({
          file,
          line: c.line,
          message: `a command left running in the background belongs in a \`\`\`sh server block: ${c.command}`,
        });
      }
    }
    if (commands.length === 0)
      problems.push({ file, line: blockLine, message: 'a ```sh block with no command' });
    blocks.push({ file, line: blockLine, info, kind, commands });
  }
  return { blocks, problems };
}

/** Inline code spans outside fenced blocks, with their line. */
export function inlineCode(markdown: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  let inFence: string | null = null;
  markdown.split(/\r?\n/).forEach((l, k) => {
    const fence = /^\s*(`{3,}|~{3,})/.exec(l);
    if (fence) {
      if (inFence === null) inFence = fence[1]!;
      else if (l.trim().replace(/[`~]/g, '') === '') inFence = null;
      return;
    }
    if (inFence !== null) return;
    for (const m of l.matchAll(/(`+)([^`]+?)\1(?!`)/g)) out.push({ line: k + 1, code: (m[2] ?? '').trim() });
  });
  return out;
}

/**
 * The cellrig invocation inside a command or inline code: its words after `cellrig`, or null. cellrig must
 * be in command position: first, or after `&&`, `||`, `;`, `|` or `(`, behind any VAR=value, `npx` or `sudo`.
 */
export function cellrigWords(command: string): string[] | null {
  const m = /(?:^|&&|\|\||[;|(])\s*(?:\w+=\S*\s+)*(?:sudo\s+)?(?:npx\s+)?cellrig(?:\s+(.*))?$/.exec(command);
  if (!m) return null;
  const words: string[] = [];
  for (const w of (m[1] ?? '').split(/\s+/)) {
    if (w === '') continue;
    if (/^(&&|\|\||\||;|>|2>|<)/.test(w)) break;
    words.push(w);
  }
  return words;
}
