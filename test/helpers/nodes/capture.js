// Test-only node: records every message it receives in a process-wide store
// that the node tests read (Node-RED runs in the test's own process).
module.exports = function (RED) {
  const store = (globalThis.__plantwireCapture ??= new Map());
  function CaptureNode(config) {
    RED.nodes.createNode(this, config);
    const key = config.name || this.id;
    this.on('input', (msg, send, done) => {
      if (!store.has(key)) store.set(key, []);
      store.get(key).push({ at: Date.now(), msg: RED.util.cloneMessage(msg) });
      done();
    });
  }
  RED.nodes.registerType('test-capture', CaptureNode);
};
