import Nabla

/// The text under one image of a grid; highlighted captions (wrong predictions) are red and their
/// image gets a red frame.
public struct ImageCaption: Sendable {
    public var lines: [String]
    public var isHighlighted: Bool

    public init(_ lines: [String], isHighlighted: Bool = false) {
        self.lines = lines
        self.isHighlighted = isHighlighted
    }
}

/// Images in rows and columns with optional captions: a batch of inputs, generated samples, test
/// images with predicted and true labels.
///
/// ```swift
/// let grid = ImageGrid(batch: images, upscale: 3, captions: zip(predicted, truth).map { prediction, label in
///     ImageCaption(["pred \(names[prediction])", "true \(names[label])"], isHighlighted: prediction != label)
/// })
/// try grid.writePNG(to: URL(fileURLWithPath: "samples.png"))
/// ```
public struct ImageGrid: Figure {
    public var images: [Canvas]
    /// One per image, or empty for no captions.
    public var captions: [ImageCaption]
    public var columns: Int
    /// Each image pixel becomes `upscale` × `upscale` units (28×28 digits want 3 or 4).
    public var upscale: Int
    public var title: String
    public var spacing: Double = 10

    public init(images: [Canvas], captions: [ImageCaption] = [], columns: Int? = nil, upscale: Int = 1, title: String = "") {
        precondition(captions.isEmpty || captions.count == images.count,
                     "ImageGrid: \(captions.count) captions for \(images.count) images")
        precondition(upscale >= 1, "ImageGrid: upscale \(upscale) must be at least 1")
        self.images = images
        self.captions = captions
        // Near-square by default, at most 10 across so captions stay readable.
        self.columns = max(1, columns ?? min(10, Int(Double(images.count).squareRoot().rounded(.up))))
        self.upscale = upscale
        self.title = title
    }

    /// A grid of the N images in an N×C×H×W batch tensor (C = 1 or 3) whose values lie in `valueRange`.
    public init(batch: Tensor, valueRange: ClosedRange<Float> = 0...1, captions: [ImageCaption] = [], columns: Int? = nil,
                upscale: Int = 1, title: String = "") {
        self.init(images: Canvas.images(fromBatch: batch, valueRange: valueRange), captions: captions, columns: columns,
                  upscale: upscale, title: title)
    }

    private var imageWidth: Double { Double((images.map(\.width).max() ?? 0) * upscale) }
    private var imageHeight: Double { Double((images.map(\.height).max() ?? 0) * upscale) }
    private var captionLineCount: Int { captions.map(\.lines.count).max() ?? 0 }
    private var rows: Int { (images.count + columns - 1) / columns }
    private var captionStyle: TextStyle { TextStyle(color: .darkGrey, horizontalAlignment: .center, verticalAlignment: .top) }
    private var fittedTitle: FittedTitle { FittedTitle(title, imageWidth: width) }
    private var titleHeight: Double { title.isEmpty ? 0 : fittedTitle.height + 10 }

    /// Wide enough for the image or its longest caption line, up to twice the image or 120 units.
    private var cellWidth: Double {
        let widest = captions.flatMap(\.lines).map { captionStyle.width(of: $0) }.max() ?? 0
        return max(imageWidth, min(widest, max(imageWidth * 2, 120)))
    }

    private var cellHeight: Double {
        imageHeight + (captionLineCount == 0 ? 0 : 4 + Double(captionLineCount) * (captionStyle.lineHeight + 2))
    }

    public var width: Double {
        2 * ChartFrame.padding + Double(max(1, min(columns, images.count))) * (cellWidth + spacing) - spacing
    }

    public var height: Double {
        2 * ChartFrame.padding + titleHeight + Double(max(1, rows)) * (cellHeight + spacing) - spacing
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) {
        let titleHeight = self.titleHeight
        fittedTitle.draw(on: &surface, centre: width / 2, imageWidth: width)
        let maximumCharacters = max(1, Int((cellWidth + 1) / Double(BitmapFont.advance)))
        for (index, image) in images.enumerated() {
            let cellLeft = ChartFrame.padding + Double(index % columns) * (cellWidth + spacing)
            let cellTop = ChartFrame.padding + titleHeight + Double(index / columns) * (cellHeight + spacing)
            let frame = Rectangle(x: cellLeft + (cellWidth - Double(image.width * upscale)) / 2, y: cellTop,
                                  width: Double(image.width * upscale), height: Double(image.height * upscale))
            surface.drawImage(image, in: frame)
            guard index < captions.count else { continue }
            let caption = captions[index]
            var style = captionStyle
            if caption.isHighlighted {
                style.color = .red
                surface.strokeRectangle(Rectangle(x: frame.minX - 1.5, y: frame.minY - 1.5, width: frame.width + 3, height: frame.height + 3),
                                        color: .red, thickness: 2)
            }
            for (lineIndex, line) in caption.lines.enumerated() {
                let text = line.count <= maximumCharacters ? line : String(line.prefix(max(1, maximumCharacters - 2))) + ".."
                surface.drawText(text, at: Point(x: cellLeft + cellWidth / 2,
                                                 y: cellTop + imageHeight + 4 + Double(lineIndex) * (style.lineHeight + 2)), style: style)
            }
        }
    }
}
