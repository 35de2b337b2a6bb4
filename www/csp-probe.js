// Runs in a Worker for csp-check.js: is a Content-Security-Policy enforced here?
let enforced;
try {
  new Function("return 0"); // eslint-disable-line no-new-func
  enforced = false;
} catch {
  enforced = true;
}
postMessage({ enforced });
