#!/usr/bin/env node
'use strict';
require('../dist/src/cli/index.js').run(process.argv.slice(2));
