export { assertAllFinite, clipToL2Ball, l2Norm } from './clip.js';
export {
  checkNoWrap,
  dequantizeSum,
  maxClientsWithoutWrap,
  MODULUS,
  quantize,
  validateQuantizerParams,
  type QuantizerParams,
} from './quantize.js';
export { PlainWords, type WordTarget } from './word-target.js';
export { MAX_THREADS_PER_VECTOR, WordVector } from './word-vector.js';
export { addInto, subtractInto } from './words.js';
export {
  decodeWeightedSum,
  encodeWeightedUpdate,
  validateWeightedUpdateParams,
  type WeightedUpdateParams,
} from './weighted-update.js';
