/** ONNX IR version written into built models (IR 8, ONNX 1.10; onnxruntime-web 1.30 reads up to IR 11). */
export const BUILT_MODEL_IR_VERSION = 8;
/** The `producer_name` of built models. */
export const BUILT_MODEL_PRODUCER = '@healthit/ai';
