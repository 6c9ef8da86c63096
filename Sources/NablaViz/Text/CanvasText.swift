extension Canvas {
    /// Draws `text` with the built-in font (see `BitmapFont`), aligned to `point` as `style` says.
    ///
    /// The text's origin is snapped to whole pixels, so every font pixel lands on exactly `scale` × `scale`
    /// canvas pixels and stays sharp.
    public mutating func drawText(_ text: String, at point: Point, style: TextStyle) {
        guard point.x.isFinite, point.y.isFinite else { return }
        let offset = style.baselineOffset(for: text)
        let scale = style.scale
        // The start of the baseline on the canvas; upward text turns the text frame a quarter turn, so
        // "along" points up the canvas and "across" (downwards in the text) points right.
        let originX: Int, originY: Int
        if style.isRotated {
            originX = Int((point.x + offset.across).rounded())
            originY = Int((point.y - offset.along).rounded())
        } else {
            originX = Int((point.x + offset.along).rounded())
            originY = Int((point.y + offset.across).rounded())
        }
        withPixelWriter { writer in
            for (index, character) in text.unicodeScalars.enumerated() {
                let rows = BitmapFont.rows(for: character)
                for (rowIndex, bits) in rows.enumerated() where bits != 0 {
                    for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                        // Font pixel position in the text frame, in canvas pixels from the baseline origin.
                        let along = (index * BitmapFont.advance + column) * scale
                        let across = (rowIndex - BitmapFont.ascent) * scale
                        for dy in 0..<scale {
                            for dx in 0..<scale {
                                if style.isRotated {
                                    writer.blend(style.color, x: originX + across + dy, y: originY - along - dx - 1)
                                } else {
                                    writer.blend(style.color, x: originX + along + dx, y: originY + across + dy)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
