import { DependencyMissingError } from '@ivl/core';

/** The part of XGrammar's web build ivl uses. */
export type XGrammar = typeof import('@mlc-ai/web-xgrammar');

let loading: Promise<XGrammar> | undefined;

/**
 * Loads XGrammar's WebAssembly build once: imported as it is in browsers and workers, and in Node
 * after giving it the CommonJS globals its loader looks for.
 */
export function loadXGrammar(): Promise<XGrammar> {
  loading ??= (async () => {
    try {
      const isNode =
        typeof document === 'undefined' &&
        typeof location === 'undefined' &&
        typeof process !== 'undefined' &&
        !!process.versions?.node;
      if (isNode) await provideCommonJsGlobals();
      // The UMD build ends up as the default export, or (in some bundles) as a global.
      const module = (await import('@mlc-ai/web-xgrammar')) as XGrammar & { default?: XGrammar };
      return module.GrammarCompiler
        ? module
        : (module.default ?? (globalThis as { xgrammar?: XGrammar }).xgrammar!);
    } catch (error) {
      loading = undefined;
      throw new DependencyMissingError({
        dependency: '@mlc-ai/web-xgrammar',
        message: `Constrained decoding needs XGrammar (@mlc-ai/web-xgrammar), which could not be loaded: ${error instanceof Error ? error.message : String(error)}.`,
        cause: error,
      });
    }
  })();
  return loading;
}

/**
 * XGrammar's UMD wrapper and Emscripten loader read `require` and `__filename` as globals in Node
 * (the package says it is an ES module, but its code is CommonJS-minded), when it starts and when
 * it instantiates the WebAssembly later; an ES module has neither, so they are given, only where
 * nothing else defined them.
 */
async function provideCommonJsGlobals(): Promise<void> {
  // A module name in a variable, so that browser bundles do not try to include it.
  const nodeModule = 'node:module';
  const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('node:module');
  const require = createRequire(import.meta.url);
  const scope = globalThis as { require?: unknown; __filename?: unknown };
  scope.require ??= require;
  scope.__filename ??= require.resolve('@mlc-ai/web-xgrammar');
}
