// node-gyp-build ships no type declarations; this is the part we use.
declare module 'node-gyp-build' {
  /** Loads the native addon of the package rooted at `dir` (build/ first, then prebuilds/). */
  function load(dir: string): unknown;
  namespace load {
    /** The path load() would require, without loading it. */
    function resolve(dir: string): string;
  }
  export = load;
}
