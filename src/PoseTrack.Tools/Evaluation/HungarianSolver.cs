namespace PoseTrack.Evaluation;

/// <summary>
/// Minimum-cost assignment on a rectangular cost matrix: the Hungarian method with row and column potentials,
/// one shortest augmenting path per row (the Jonker-Volgenant formulation), O(n²·m) for n ≤ m.
/// </summary>
internal static class HungarianSolver
{
    /// <summary>
    /// Assigns every row to a distinct column (or every column to a distinct row when there are more rows than
    /// columns) so that the summed cost is minimal. Returns, for each row, its column or -1 when it got none.
    /// All costs must be finite; use <see cref="SolveWithForbidden"/> for pairs that may not be chosen.
    /// </summary>
    public static int[] Solve(double[,] cost)
    {
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        var rowToCol = new int[rows];
        Array.Fill(rowToCol, -1);
        if (rows == 0 || cols == 0) return rowToCol;
        foreach (var c in cost)
            if (!double.IsFinite(c)) throw new ArgumentException("cost matrix holds a non-finite value", nameof(cost));

        // The core needs at least as many columns as rows, so a tall matrix is solved transposed.
        bool transpose = rows > cols;
        int n = transpose ? cols : rows, m = transpose ? rows : cols;
        var a = new double[n * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                a[i * m + j] = transpose ? cost[j, i] : cost[i, j];

        var assigned = SolveWide(a, n, m);
        for (int i = 0; i < n; i++)
        {
            if (transpose) rowToCol[assigned[i]] = i;
            else rowToCol[i] = assigned[i];
        }
        return rowToCol;
    }

    /// <summary>
    /// Assignment where NaN or infinite costs mark pairs that may not be chosen. As in py-motmetrics
    /// (<c>lap.add_expensive_edges</c>) forbidden pairs get a cost so large that the solution first has as many
    /// allowed pairs as possible and only then the least total cost; forbidden pairs are dropped from the answer.
    /// Returns the chosen (row, column) pairs in row order.
    /// </summary>
    public static List<(int Row, int Col)> SolveWithForbidden(double[,] cost)
    {
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        var pairs = new List<(int, int)>();
        if (rows == 0 || cols == 0) return pairs;

        double maxAbs = -1;
        foreach (var c in cost)
            if (double.IsFinite(c)) maxAbs = Math.Max(maxAbs, Math.Abs(c));
        if (maxAbs < 0) return pairs;

        // With every allowed cost in [-c, c], one forbidden edge plus (r-1) best edges must cost more than r worst
        // edges: l > (2r-1)c, so l = 2rc + 1.
        int r = Math.Min(rows, cols);
        double c1 = maxAbs + 1, large = 2 * r * c1 + 1;
        var filled = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                filled[i, j] = double.IsFinite(cost[i, j]) ? cost[i, j] : large;

        var rowToCol = Solve(filled);
        for (int i = 0; i < rows; i++)
            if (rowToCol[i] >= 0 && double.IsFinite(cost[i, rowToCol[i]])) pairs.Add((i, rowToCol[i]));
        return pairs;
    }

    // a is n×m row-major with n ≤ m. Indices below are 1-based; column 0 is a virtual column whose "owner" is the
    // row being inserted, which keeps the augmenting-path bookkeeping free of special cases.
    private static int[] SolveWide(double[] a, int n, int m)
    {
        var u = new double[n + 1];
        var v = new double[m + 1];
        var owner = new int[m + 1];   // row (1-based) holding column j, 0 = free
        var prev = new int[m + 1];    // previous column on the shortest path to column j
        var minSlack = new double[m + 1];
        var visited = new bool[m + 1];

        for (int row = 1; row <= n; row++)
        {
            owner[0] = row;
            int j0 = 0;
            Array.Fill(minSlack, double.PositiveInfinity);
            Array.Clear(visited);
            do
            {
                visited[j0] = true;
                int i0 = owner[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                int rowBase = (i0 - 1) * m;
                for (int j = 1; j <= m; j++)
                {
                    if (visited[j]) continue;
                    double reduced = a[rowBase + j - 1] - u[i0] - v[j];
                    if (reduced < minSlack[j]) { minSlack[j] = reduced; prev[j] = j0; }
                    if (minSlack[j] < delta) { delta = minSlack[j]; j1 = j; }
                }
                // Shift potentials so the cheapest unvisited column becomes tight.
                for (int j = 0; j <= m; j++)
                {
                    if (visited[j]) { u[owner[j]] += delta; v[j] -= delta; }
                    else minSlack[j] -= delta;
                }
                j0 = j1;
            } while (owner[j0] != 0);

            // Flip the path: each column on it passes to the row that reached it.
            do
            {
                int j1 = prev[j0];
                owner[j0] = owner[j1];
                j0 = j1;
            } while (j0 != 0);
        }

        var rowToCol = new int[n];
        for (int j = 1; j <= m; j++)
            if (owner[j] != 0) rowToCol[owner[j] - 1] = j - 1;
        return rowToCol;
    }
}
