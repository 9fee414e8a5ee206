/** The docs test's reading of Markdown: what counts as a command, its comment, its expected exit. */
import { describe, expect, it } from 'vitest';
import { cellrigWords, commandsOf, commentStart, extractBlocks, inlineCode } from './doc-blocks';

describe('doc blocks', () => {
  it('finds a trailing comment only at the start of a word and outside quotes', () => {
    expect(commentStart("mosquitto_sub -t 'cellrig/v1/#' -v   # watch")).toBe(37);
    expect(commentStart('echo "a # b" x#y')).toBe(-1);
    expect(commentStart('# a comment line')).toBe(0);
    expect(commentStart("echo it\\'s # c")).toBe(11);
  });

  it('skips comment and blank lines, joins continuations, reads exits N and the ready text', () => {
    const c = commandsOf(
      [
        '# first',
        'npx cellrig eis fit a.csv \\',
        "  --circuit 'R0-p(R1,C1)'   # exits 3 when it does not converge",
        '',
        'npm start   # ready when it prints "Started flows": the editor',
        'npx cellrig virtual-board --dir rig &   # ready when it prints "ttyFIRMATA"',
      ],
      10,
    );
    expect(c.map((x) => [x.line, x.command, x.expectedExit, x.readyText, x.background])).toEqual([
      [11, "npx cellrig eis fit a.csv   --circuit 'R0-p(R1,C1)'", 3, null, false],
      [14, 'npm start', 0, 'Started flows', false],
      [15, 'npx cellrig virtual-board --dir rig', 0, 'ttyFIRMATA', true],
    ]);
  });

  it('reads each block kind and names what breaks the convention', () => {
    const md = [
      '```sh',
      'npx cellrig --version',
      '```',
      '- in a list:',
      '  ```sh docker',
      '  docker compose up -d',
      '  ```',
      '```bash',
      'ls',
      '```',
      '```',
      '$ npx cellrig sim pressure',
      '```',
      '```sh later',
      'x',
      '```',
      '```sh server',
      'npm start',
      '```',
      '```sh',
      'sleep 9 &',
      '```',
      '```sql',
      'CREATE USER x',
      '```',
    ].join('\n');
    const { blocks, problems } = extractBlocks('p.md', md);
    expect(blocks.map((b) => [b.line, b.kind, b.commands.map((c) => c.command)])).toEqual([
      [1, 'run', ['npx cellrig --version']],
      [5, 'docker', ['docker compose up -d']],
      [17, 'server', ['npm start']],
      [20, 'run', ['sleep 9']],
    ]);
    expect(problems.map((p) => p.line)).toEqual([8, 11, 14, 18, 21]);
  });

  it('takes cellrig only in command position', () => {
    expect(cellrigWords('npx cellrig health cells --json')).toEqual(['health', 'cells', '--json']);
    expect(cellrigWords('MQTT_URL=mqtt://x:1883 npx cellrig watch d && ls')).toEqual(['watch', 'd']);
    expect(cellrigWords('echo pw | npx cellrig hash-password')).toEqual(['hash-password']);
    expect(cellrigWords('journalctl -u cellrig -f')).toBeNull();
    expect(cellrigWords('cellrig/v1/rig01/status')).toBeNull();
    expect(cellrigWords('cellrig')).toEqual([]);
  });

  it('lists inline code outside fences', () => {
    expect(inlineCode('a `cellrig health` b\n```sh\n`x`\n```\n`y`')).toEqual([
      { line: 1, code: 'cellrig health' },
      { line: 5, code: 'y' },
    ]);
  });
});
