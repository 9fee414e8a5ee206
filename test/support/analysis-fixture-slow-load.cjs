// The pool's test jobs behind a module that takes a second to load, as a worker loading the analysis
// code on a slow Pi would.
'use strict';
const end = Date.now() + 1000;
while (Date.now() < end) {
  // loading
}
module.exports = require('./analysis-fixture.cjs');
