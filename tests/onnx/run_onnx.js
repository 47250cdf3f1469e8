// Runs an ONNX model in ONNX Runtime (onnxruntime-node, CPU) on one input and writes each output.
//
// usage: node run_onnx.js ORT_NODE_MODULES MODEL.onnx INPUT.bin DTYPE DIMS_JSON OUT_DIR
//   INPUT.bin   raw little-endian values, DTYPE float32 or int32, shape DIMS_JSON ("[4, 784]")
//   OUT_DIR     receives <output name>.bin (raw float32) for each graph output, and outputs.json:
//               [{"name": ..., "dims": [...]}] in the graph's output order
// Exits 2 when onnxruntime-node cannot be loaded (the caller skips), 1 on any other failure.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [modules, model, inputPath, dtype, dimsJson, outDir] = process.argv.slice(2);
  let ort;
  try {
    ort = require(path.join(modules, 'onnxruntime-node'));
  } catch (e) {
    console.error(`onnxruntime-node is not installed in ${modules} (${e.message}); run scripts/setup.sh`);
    process.exit(2);
  }
  const dims = JSON.parse(dimsJson);
  const bytes = fs.readFileSync(inputPath);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const data = dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer);
  // One thread: the reference must not depend on the machine's load.
  const session = await ort.InferenceSession.create(model, {intraOpNumThreads: 1, interOpNumThreads: 1});
  const feeds = {[session.inputNames[0]]: new ort.Tensor(dtype, data, dims)};
  const results = await session.run(feeds);
  const listing = [];
  for (const name of session.outputNames) {
    const t = results[name];
    fs.writeFileSync(path.join(outDir, name + '.bin'), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    listing.push({name, dims: t.dims});
  }
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(listing));
}

main().catch((e) => {
  console.error(`onnxruntime: ${e.message}`);
  process.exit(1);
});
