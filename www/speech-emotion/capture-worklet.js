// Audio thread: collect the (already mono) input into fixed chunks and post each one,
// transferred, to the port it was given. No signal processing happens here.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.chunkFrames = options.processorOptions.chunkFrames;
    this.chunk = new Float32Array(this.chunkFrames);
    this.filled = 0;
    this.sink = null;
    this.port.onmessage = ({ data }) => {
      if (data.type === "sink") this.sink = data.port;
      if (data.type === "stop") this.sink = null;
    };
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    // No input connected (yet): keep the node alive and wait.
    if (!channel || !this.sink) return true;
    let offset = 0;
    while (offset < channel.length) {
      const n = Math.min(channel.length - offset, this.chunkFrames - this.filled);
      this.chunk.set(channel.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.chunkFrames) {
        this.sink.postMessage(this.chunk, [this.chunk.buffer]);
        this.chunk = new Float32Array(this.chunkFrames);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("capture", CaptureProcessor);
