/// The JSON of `results/texts_<ts>.json`: the corpus browser's sampled texts with each token's strongest features.
enum SampledTextsDocument {
    static func json(_ sample: SampledTexts, tokenTexts: ([Int32]) -> [String]) -> OrderedJSON {
        .object([
            ("n_texts", .int(sample.textCount)),
            ("n_sampled", .int(sample.texts.count)),
            ("sampling", .string("evenly spaced: text i*T/n of the T analyzed texts in corpus order, i < n")),
            ("features_per_token", .int(SampledTexts.featuresPerToken)),
            ("max_tokens", .int(SampledTexts.maximumTokens)),
            (
                "texts",
                .array(
                    sample.texts.map { text in
                        .object([
                            ("text_idx", .int(text.textIndex)),
                            ("n_tokens", .int(text.tokenCount)),
                            // Display pieces of the whole kept text: they join to its decoded text.
                            ("tokens", .array(tokenTexts(text.tokenIDs).map(OrderedJSON.string))),
                            ("token_ids", .array(text.tokenIDs.map { .int(Int($0)) })),
                            ("features", .array(text.features.map { .array($0.map { .int(Int($0)) }) })),
                            ("values", .array(text.values.map { .array($0.map(OrderedJSON.float)) })),
                        ])
                    })
            ),
        ])
    }
}
