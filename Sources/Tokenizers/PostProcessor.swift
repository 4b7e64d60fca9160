/// What `post_processor` adds around a single text's ids (HF `encode(text)` with `add_special_tokens=True`):
/// TemplateProcessing's `single` template, Roberta/Bert's cls … sep; ByteLevel adds nothing.
struct PostProcessor {
    var prefix: [Int32] = []
    var suffix: [Int32] = []
}
