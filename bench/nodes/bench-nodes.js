// Bench-only nodes for bench/transforms.mjs (Node-RED runs in the bench's own
// process; the prepared messages and the completion callback are shared via
// globalThis.__plantwireBench).
//   bench-source: on any input, sends the prepared messages, `chunk` per event-loop turn
//                 (paced like a live source: the flow drains between turns instead of
//                 holding every message and every result in memory at once).
//   bench-sink:   counts samples (array payload = its length, else 1) and calls done()
//                 once the expected number has arrived.
module.exports = function (RED) {
  const bench = () => globalThis.__plantwireBench;

  function BenchSource(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (_msg, send, done) => {
      const run = bench();
      const msgs = run.messages;
      let i = 0;
      run.startedAt = process.hrtime.bigint();
      const per = run.chunk || 1;
      const chunk = () => {
        const end = Math.min(msgs.length, i + per);
        for (; i < end; i++) {
          const m = msgs[i];
          // Let go of it: a node may put its results on the message, which must not outlive the flow.
          msgs[i] = undefined;
          send(m);
        }
        if (i < msgs.length) setImmediate(chunk);
      };
      chunk();
      done();
    });
  }
  RED.nodes.registerType('bench-source', BenchSource);

  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, _send, done) => {
      const run = bench();
      run.received += Array.isArray(msg.payload) ? msg.payload.length : 1;
      if (!run.finishedAt && run.received >= run.expected) {
        run.finishedAt = process.hrtime.bigint();
        run.done();
      }
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
