/**
 * How the panel's test and bench launch Debian's chromium (which `npm test` installs) through
 * playwright-core: headless, no sandbox (root in CI), nothing phoning home.
 */
export const CHROMIUM_LAUNCH = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
