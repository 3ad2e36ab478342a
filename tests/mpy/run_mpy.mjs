// Run Python files on real MicroPython 1.27 (the WebAssembly port) from Node.
//
//   node tests/mpy/run_mpy.mjs --heap <bytes> --stage <hostDir>=<mpDir> [--stage ...]
//                              --step <file.py> [--step <file.py> ...]
//
// 1. Loads MicroPython with an initial GC heap of --heap bytes.
// 2. Copies every file under each hostDir (recursively, skipping __pycache__ and *.pyc) into
//    mpDir of the in-memory filesystem (`sys.path` is ['', '.frozen', '/lib'], so staging a
//    package at /lib/<pkg> makes it importable).
// 3. Prints `@@heap step=0 ...` (the baseline), then runs each step file as its own top-level
//    call, in order, sharing one `__main__` namespace. Steps may use top-level `await`.
//    After each step it prints `@@heap step=<i> alloc=<A> free=<F> total=<T>`:
//      alloc  gc.mem_alloc() after a full collection (bytes of live objects)
//      free   gc.mem_free() as MicroPython reports it; on this port it includes the 128 MiB the
//             heap may still grow by, so it says nothing about a device
//      total  the GC heap MicroPython currently holds ("GC: total" of micropython.mem_info());
//             more than --heap means the heap had to grow to keep live objects
//
// How the heap is measured (verified on 1.27.0, see ports/webassembly/main.c): this port's
// gc_collect() only sets a "pending" flag; the collection runs when the outermost call from JS
// returns, because only then are there no roots on the C stack. So `gc.collect()` inside a
// running step frees nothing and the heap grows instead of raising MemoryError. Between steps
// the runner makes one top-level call that runs `gc.collect()` (the collection happens as that
// call returns), then reads gc.mem_alloc()/gc.mem_free() by calling those functions through JS
// proxies, which compiles no code and allocates nothing, so the figure is the live heap only.
// A step that awaits (e.g. `await asyncio.sleep(0)` each loop iteration) returns to JS at every
// await, and pending collections run there, like on a device that collects when full.
//
// Output: Python's stdout is forwarded to stdout line by line, in order with the @@heap lines
// (a trailing partial line is flushed before each @@heap line). Python's stderr goes to stderr.
// An uncaught Python exception in a step prints its traceback to stderr and exits 1.
// Bad arguments or a JS-side failure exit 2.

import fs from 'node:fs';
import path from 'node:path';
import {loadMicroPython} from '@micropython/micropython-webassembly-pyscript';

function usage(msg) {
  process.stderr.write(`run_mpy: ${msg}\n` +
    'usage: node run_mpy.mjs --heap <bytes> --stage <hostDir>=<mpDir> ... --step <file.py> ...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {heap: 1024 * 1024, stages: [], steps: []};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (value === undefined && ['--heap', '--stage', '--step'].includes(arg)) {
      usage(`${arg} needs a value`);
    }
    if (arg === '--heap') {
      opts.heap = Number.parseInt(value, 10);
      if (!Number.isFinite(opts.heap) || opts.heap < 16 * 1024) usage(`bad --heap ${value}`);
      i++;
    } else if (arg === '--stage') {
      const eq = value.lastIndexOf('=');
      if (eq <= 0 || eq === value.length - 1) usage(`--stage wants hostDir=mpDir, got ${value}`);
      const hostDir = value.slice(0, eq);
      let mpDir = value.slice(eq + 1);
      if (!mpDir.startsWith('/')) usage(`mpDir must be absolute: ${mpDir}`);
      if (mpDir.length > 1 && mpDir.endsWith('/')) mpDir = mpDir.slice(0, -1);
      if (!fs.existsSync(hostDir) || !fs.statSync(hostDir).isDirectory()) {
        usage(`stage dir not found: ${hostDir}`);
      }
      opts.stages.push([hostDir, mpDir]);
      i++;
    } else if (arg === '--step') {
      if (!fs.existsSync(value)) usage(`step file not found: ${value}`);
      opts.steps.push(value);
      i++;
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  return opts;
}

// Line-buffered writer over the byte-at-a-time output callback, so multi-byte UTF-8
// characters survive and a partial line can be flushed before our own @@ lines.
function lineWriter(stream) {
  const decoder = new TextDecoder();
  let bytes = [];
  let capture = null;  // when an array, complete lines go there instead of the stream
  const emit = (text) => {
    if (capture) capture.push(text);
    else stream.write(text + '\n');
  };
  return {
    byte(c) {
      if (c === 10) {
        emit(decoder.decode(new Uint8Array(bytes)));
        bytes = [];
      } else {
        bytes.push(c);
      }
    },
    flush() {
      if (bytes.length) {
        emit(decoder.decode(new Uint8Array(bytes)));
        bytes = [];
      }
    },
    startCapture() { this.flush(); capture = []; },
    stopCapture() { this.flush(); const lines = capture; capture = null; return lines; },
    write(text) { this.flush(); stream.write(text + '\n'); },
  };
}

function stageDir(FS, hostDir, mpDir) {
  FS.mkdirTree(mpDir);
  let count = 0;
  for (const entry of fs.readdirSync(hostDir, {withFileTypes: true})) {
    if (entry.name === '__pycache__') continue;
    const hostPath = path.join(hostDir, entry.name);
    const mpPath = (mpDir === '/' ? '' : mpDir) + '/' + entry.name;
    if (entry.isDirectory()) {
      count += stageDir(FS, hostPath, mpPath);
    } else if (entry.isFile() && !entry.name.endsWith('.pyc')) {
      FS.writeFile(mpPath, fs.readFileSync(hostPath));
      count++;
    }
  }
  return count;
}

function pythonErrorText(err) {
  // MicroPython raises a JS PythonError whose message is the formatted traceback.
  if (err && err.constructor && err.constructor.name === 'PythonError') return err.message;
  return null;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = lineWriter(process.stdout);
  const err = lineWriter(process.stderr);
  const mp = await loadMicroPython({
    heapsize: opts.heap,
    stdout: (data) => { for (const c of data) out.byte(c); },
    stderr: (data) => { for (const c of data) err.byte(c); },
    linebuffer: false,
  });

  for (const [hostDir, mpDir] of opts.stages) stageDir(mp.FS, hostDir, mpDir);

  // Function proxies fetched once: calling them from JS compiles nothing and allocates
  // nothing on the MicroPython heap (verified: repeated reads give identical figures).
  const gcmod = mp.pyimport('gc');
  const memAlloc = gcmod.mem_alloc;
  const memFree = gcmod.mem_free;
  const memInfo = mp.pyimport('micropython').mem_info;

  const reportHeap = (step) => {
    out.flush();
    err.flush();
    mp.runPython('__import__("gc").collect()');  // collects as this top-level call returns
    const alloc = memAlloc();
    const free = memFree();
    out.startCapture();
    memInfo();
    const info = out.stopCapture().join('\n');
    const m = /GC: total: (\d+)/.exec(info);
    const total = m ? Number(m[1]) : -1;
    out.write(`@@heap step=${step} alloc=${alloc} free=${free} total=${total}`);
  };

  reportHeap(0);
  for (let i = 0; i < opts.steps.length; i++) {
    const source = fs.readFileSync(opts.steps[i], 'utf8');
    try {
      // runPythonAsync == runPython plus top-level await; a step without await finishes
      // synchronously. Awaiting covers both.
      await mp.runPythonAsync(source);
    } catch (e) {
      out.flush();
      err.flush();
      const tb = pythonErrorText(e);
      if (tb === null) throw e;
      process.stderr.write(`run_mpy: step ${i + 1} (${opts.steps[i]}) raised:\n${tb}`);
      if (!tb.endsWith('\n')) process.stderr.write('\n');
      return 1;
    }
    reportHeap(i + 1);
  }
  out.flush();
  err.flush();
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (e) => {
    process.stderr.write(`run_mpy: JS error: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 2;
  },
);
