import Nabla

/// Zachary's karate club (W. W. Zachary, "An information flow model for conflict and fission in small
/// groups", Journal of Anthropological Research 33, 1977): 34 members of a university karate club, 78
/// friendships observed outside the club, and the two factions the club split into after a dispute
/// between the instructor ("Mr. Hi", node 0) and the administrator ("Officer", node 33).
///
/// Nodes are Zachary's members 1–34 shifted to 0–33. The edge list and factions are the published data
/// (the 78-edge version, with member 9 in Mr. Hi's faction as Zachary's table assigns it), typed here as
/// a fact table.
public enum KarateClub {
    /// Each member's friends with a higher index (so every undirected edge is listed once).
    static let friendsAbove: [Int: [Int]] = [
        0: [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 17, 19, 21, 31],
        1: [2, 3, 7, 13, 17, 19, 21, 30],
        2: [3, 7, 8, 9, 13, 27, 28, 32],
        3: [7, 12, 13],
        4: [6, 10],
        5: [6, 10, 16],
        6: [16],
        8: [30, 32, 33],
        9: [33],
        13: [33],
        14: [32, 33],
        15: [32, 33],
        18: [32, 33],
        19: [33],
        20: [32, 33],
        22: [32, 33],
        23: [25, 27, 29, 32, 33],
        24: [25, 27, 31],
        25: [31],
        26: [29, 33],
        27: [33],
        28: [31, 33],
        29: [32, 33],
        30: [32, 33],
        31: [32, 33],
        32: [33],
    ]

    /// The members who followed Mr. Hi (faction 0); everyone else followed the Officer (faction 1).
    static let mrHiFaction: Set<Int> = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21]

    public static let nodeCount = 34
    public static let instructor = 0
    public static let administrator = 33

    /// The 78 undirected friendships, each once as (lower, higher).
    public static var edges: [(Int, Int)] {
        friendsAbove.keys.sorted().flatMap { member in friendsAbove[member]!.map { (member, $0) } }
    }

    /// Each member's faction after the split: 0 = Mr. Hi, 1 = Officer.
    public static var factions: [Int] { (0..<nodeCount).map { mrHiFaction.contains($0) ? 0 : 1 } }

    /// The club as a graph: both directions of every friendship (156 directed edges), one-hot member
    /// features (34 × 34), faction labels, and a training mask with only the instructor and the
    /// administrator labelled (the classic semi-supervised setting).
    public static func graph() -> Graph {
        var graph = try! Graph(nodeCount: nodeCount, undirectedEdges: edges, features: Tensor.eye(nodeCount), labels: factions)
        graph.trainMask = (0..<nodeCount).map { $0 == instructor || $0 == administrator }
        graph.testMask = (0..<nodeCount).map { $0 != instructor && $0 != administrator }
        return graph
    }
}
