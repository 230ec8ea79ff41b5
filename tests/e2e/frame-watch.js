// frame-watch.js - appends the time (ms since the epoch) to FILE each time MARKER arrives on stdin (a tmux pane's output).
'use strict';
const fs = require('fs');
const [file, marker] = process.argv.slice(2);
let tail = '';
process.stdin.on('data', (chunk) => {
	const now = Date.now();
	const text = tail + chunk.toString('latin1');
	if (text.includes(marker)) {
		fs.appendFileSync(file, `${now}\n`);
		tail = '';
	} else {
		tail = text.slice(-marker.length);
	}
});
