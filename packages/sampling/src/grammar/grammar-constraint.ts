import { InvalidArgumentError } from '@ivl/core';
import { loadXGrammar, type XGrammar } from './load-xgrammar.js';

/**
 * What an answer must look like (OpenAI's `response_format`, plus a regex, a choice list and an
 * EBNF grammar). Decoding is constrained so that the answer always matches.
 */
export type ResponseFormat =
  | {
      readonly type: 'json_schema';
      readonly json_schema: { readonly name?: string; readonly schema: object; readonly strict?: boolean };
    }
  | { readonly type: 'json_object' }
  | { readonly type: 'regex'; readonly pattern: string }
  | { readonly type: 'choice'; readonly choices: readonly string[] }
  | { readonly type: 'grammar'; readonly ebnf: string };

/** The tokenizer facts a grammar engine needs: each token's text as stored, and how it is stored. */
export interface GrammarVocabulary {
  /** Token strings by id, as `tokenizer.json` stores them (`Ġ`-bytes or `▁`-pieces). */
  readonly tokens: readonly string[];
  /** `byte_level` (GPT-2/Qwen BPE), `byte_fallback` (SentencePiece, InternLM2) or `raw`. */
  readonly vocabType: 'byte_level' | 'byte_fallback' | 'raw';
  /** Rows of the model's logits (may exceed the tokenizer's size). */
  readonly vocabSize: number;
  /** Tokens that end an answer (`<|im_end|>`). */
  readonly stopTokenIds: readonly number[];
}

/** One answer being constrained: which tokens may come next, and what came. */
export interface ConstraintState {
  /** Allowed next tokens as a bitmask: bit `id % 32` of word `id >> 5`. */
  nextBitmask(): Promise<Int32Array>;
  /** Records the token chosen; false when the grammar does not allow it. */
  accept(tokenId: number): boolean;
  /** The answer is complete (a stop token was accepted). */
  readonly terminated: boolean;
  dispose(): void;
}

/** A compiled format, from which each answer starts its own state. */
export interface CompiledConstraint {
  start(): Promise<ConstraintState>;
}

/** Compiles response formats against one tokenizer (compiled formats are cached by content). */
export interface GrammarEngine {
  compile(format: ResponseFormat): Promise<CompiledConstraint>;
  dispose(): void;
}

// A choice as an EBNF string literal.
const quote = (text: string) => JSON.stringify(text);

function checkFormat(format: ResponseFormat): void {
  const fail = (message: string) => {
    throw new InvalidArgumentError({ argument: 'responseFormat', message });
  };
  if (typeof format !== 'object' || format === null)
    fail('`responseFormat` must be an object with a `type`.');
  if (
    format.type === 'json_schema' &&
    (typeof format.json_schema?.schema !== 'object' || format.json_schema.schema === null)
  )
    fail('`json_schema.schema` must be a JSON schema object.');
  if (format.type === 'regex' && (typeof format.pattern !== 'string' || format.pattern.length === 0))
    fail('`pattern` must be a non-empty regular expression.');
  if (
    format.type === 'choice' &&
    (!Array.isArray(format.choices) ||
      format.choices.length === 0 ||
      format.choices.some((c) => typeof c !== 'string' || c === ''))
  )
    fail('`choices` must be a non-empty list of non-empty strings.');
  if (format.type === 'grammar' && (typeof format.ebnf !== 'string' || format.ebnf.length === 0))
    fail('`ebnf` must be a non-empty grammar.');
  if (!['json_schema', 'json_object', 'regex', 'choice', 'grammar'].includes(format.type))
    fail(
      `Unknown responseFormat type ${JSON.stringify((format as { type: unknown }).type)}. Available: json_schema, json_object, regex, choice, grammar.`,
    );
}

/**
 * A grammar engine over XGrammar (WebAssembly; Node, browsers, workers), driven by the real
 * tokenizer's vocabulary: the masks it gives allow exactly the tokens that keep the answer a
 * prefix of a match.
 *
 * @throws {DependencyMissingError} when XGrammar cannot be loaded
 */
export async function createGrammarEngine(vocabulary: GrammarVocabulary): Promise<GrammarEngine> {
  const xg: XGrammar = await loadXGrammar();
  const info = await xg.TokenizerInfo.createTokenizerInfo(
    [...vocabulary.tokens],
    vocabulary.vocabType,
    false,
    vocabulary.vocabSize,
    [...vocabulary.stopTokenIds],
  );
  const compiler = await xg.GrammarCompiler.createGrammarCompiler(info);
  // Compiling a schema takes ~0.1–0.2 s; a server sees the same few formats again and again.
  const compiled = new Map<string, Promise<InstanceType<XGrammar['CompiledGrammar']>>>();
  const MAX_COMPILED = 64;

  const compileNow = (format: ResponseFormat) => {
    const fail = (error: unknown): never => {
      throw new InvalidArgumentError({
        argument: 'responseFormat',
        message: `The ${format.type} response format could not be compiled: ${error instanceof Error ? error.message : String(error)}.`,
      });
    };
    switch (format.type) {
      case 'json_schema':
        // Compact JSON (no free whitespace between tokens): fewer tokens, and no way for a model
        // to drift into endless spaces. `strict` (default true) forbids properties and items the
        // schema does not name.
        return compiler
          .compileJSONSchema(
            JSON.stringify(format.json_schema.schema),
            false,
            undefined,
            [',', ':'],
            format.json_schema.strict ?? true,
          )
          .catch(fail);
      case 'json_object':
        return compiler.compileBuiltinJSONGrammar().catch(fail);
      case 'regex':
        return compiler
          .compileStructuralTag({
            type: 'structural_tag',
            format: { type: 'regex', pattern: format.pattern },
          } as never)
          .catch(fail);
      case 'choice':
        return compiler.compileGrammar(`root ::= ${format.choices.map(quote).join(' | ')}`).catch(fail);
      case 'grammar':
        return compiler.compileGrammar(format.ebnf).catch(fail);
    }
  };

  return {
    async compile(format) {
      checkFormat(format);
      const key = JSON.stringify(format);
      let grammar = compiled.get(key);
      if (!grammar) {
        grammar = compileNow(format);
        grammar.catch(() => compiled.delete(key));
        compiled.set(key, grammar);
        if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
      }
      const ready = await grammar;
      return {
        async start() {
          const matcher = await xg.GrammarMatcher.createGrammarMatcher(ready);
          return {
            nextBitmask: () => matcher.getNextTokenBitmask(),
            accept: (tokenId) => matcher.acceptToken(tokenId),
            get terminated() {
              return matcher.isTerminated();
            },
            dispose: () => matcher.dispose(),
          };
        },
      };
    },
    dispose() {
      compiler.dispose();
      info.dispose();
    },
  };
}
