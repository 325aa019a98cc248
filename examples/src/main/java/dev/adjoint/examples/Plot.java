package dev.adjoint.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;

/**
 * Small PNG pictures drawn with the JDK alone (no plotting library): a loss curve, a classifier's
 * decision boundary, accuracy curves, a confusion matrix and a model fitted to measurements.
 */
final class Plot {
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 45;
    private static final int BOTTOM = 60;
    private static final Color CLASS0 = new Color(33, 102, 172);
    private static final Color CLASS1 = new Color(214, 96, 77);
    private static final Color GRID = new Color(225, 225, 225);

    static {
        // Drawing into a BufferedImage needs no display; without this a server JVM may look for one.
        System.setProperty("java.awt.headless", "true");
    }

    private Plot() {
    }

    /**
     * A loss curve on a logarithmic y axis (losses fall over orders of magnitude). A noisy series,
     * as mini-batch training gives, reads better with its moving average drawn on top.
     *
     * @param file the PNG to write
     * @param title the title
     * @param values the loss of every step, positive
     * @param window the moving average's window in steps (e.g. the steps of one epoch), or 0 for none
     * @return the file
     * @throws IOException if the file cannot be written
     */
    static Path lossCurve(Path file, String title, double[] values, int window) throws IOException {
        if (values.length == 0) {
            throw new IllegalArgumentException("lossCurve: no values to draw");
        }
        int width = 640;
        int height = 420;
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (double v : values) {
            lo = Math.min(lo, Math.max(v, 1e-12));
            hi = Math.max(hi, v);
        }
        double logLo = Math.floor(Math.log10(lo));
        double logHi = Math.ceil(Math.log10(hi));
        if (logHi <= logLo) {
            logHi = logLo + 1;
        }
        Axes axes = new Axes(0, Math.max(1, values.length), logLo, logHi, width, height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        axes.draw(g, title, "step", "loss (log scale)", true);
        axes.line(g, values, window > 0 ? new Color(120, 150, 200) : CLASS0, 1.2f);
        if (window > 0) {
            double[] smooth = new double[values.length];
            double sum = 0;
            for (int i = 0; i < values.length; i++) {
                sum += values[i] - (i >= window ? values[i - window] : 0);
                smooth[i] = sum / Math.min(i + 1, window);
            }
            axes.line(g, smooth, new Color(20, 40, 110), 2.2f);
            g.setColor(new Color(20, 40, 110));
            String legend = "light: every step; dark: mean of the last " + window + " steps";
            g.drawString(legend, width - RIGHT - 10 - g.getFontMetrics().stringWidth(legend), TOP + 20);
        }
        return write(image, file);
    }

    /**
     * A two-class decision boundary: every pixel coloured by the model's probability of class 1
     * (blue 0, white 0.5, red 1), the 0.5 contour in black, and the labelled points on top.
     *
     * @param file the PNG to write
     * @param title the title
     * @param points the training points, rows of two coordinates
     * @param labels their classes, 0 or 1
     * @param range {@code {xMin, xMax, yMin, yMax}} of the picture
     * @param probability maps points {@code [n, 2]} to probabilities {@code [n, 1]} (of class 1) or
     *     {@code [n, 2]} (of both classes)
     * @return the file
     * @throws IOException if the file cannot be written
     */
    static Path decisionBoundary(Path file, String title, double[][] points, int[] labels, double[] range,
            UnaryOperator<Tensor> probability) throws IOException {
        int plotWidth = 480;
        int plotHeight = (int) Math.round(plotWidth * (range[3] - range[2]) / (range[1] - range[0]));
        Axes axes = new Axes(range[0], range[1], range[2], range[3], plotWidth + LEFT + RIGHT, plotHeight + TOP + BOTTOM);
        double[] grid = new double[2 * plotWidth * plotHeight];
        for (int r = 0; r < plotHeight; r++) {
            for (int c = 0; c < plotWidth; c++) {
                grid[2 * (r * plotWidth + c)] = range[0] + (c + 0.5) / plotWidth * (range[1] - range[0]);
                grid[2 * (r * plotWidth + c) + 1] = range[3] - (r + 0.5) / plotHeight * (range[3] - range[2]);
            }
        }
        Tensor p;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            p = probability.apply(Tensor.of(grid, plotWidth * plotHeight, 2));
        }
        int stride = p.shape()[1];
        double[] all = p.toArray();
        BufferedImage image = new BufferedImage(axes.width(), axes.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        for (int r = 0; r < plotHeight; r++) {
            for (int c = 0; c < plotWidth; c++) {
                int i = r * plotWidth + c;
                double q = all[i * stride + stride - 1];
                // A pixel is on the contour when it and its right or lower neighbour fall on different sides of 0.5.
                boolean edge = (c + 1 < plotWidth && (q > 0.5) != (all[(i + 1) * stride + stride - 1] > 0.5))
                        || (r + 1 < plotHeight && (q > 0.5) != (all[(i + plotWidth) * stride + stride - 1] > 0.5));
                image.setRGB(c + LEFT, r + TOP, edge ? 0x202020 : shade(q).getRGB());
            }
        }
        axes.draw(g, title, "x1", "x2", false);
        int radius = points.length < 20 ? 8 : 5;
        for (int i = 0; i < points.length; i++) {
            dot(g, axes.px(points[i][0]), axes.py(points[i][1]), radius, labels[i] == 0 ? CLASS0 : CLASS1);
        }
        int y = axes.height() - 22;
        dot(g, axes.width() - RIGHT - 150, y - 4, 5, CLASS0);
        dot(g, axes.width() - RIGHT - 75, y - 4, 5, CLASS1);
        g.setColor(Color.DARK_GRAY);
        g.drawString("class 0", axes.width() - RIGHT - 140, y);
        g.drawString("class 1", axes.width() - RIGHT - 65, y);
        return write(image, file);
    }

    /**
     * Accuracy per epoch of one or more series (train and test), on a linear y axis.
     *
     * @param file the PNG to write
     * @param title the title
     * @param names the series' names, for the legend
     * @param series the accuracies per epoch, in [0, 1], one array per name, all of the same length
     * @return the file
     * @throws IOException if the file cannot be written
     */
    static Path accuracyCurves(Path file, String title, List<String> names, List<double[]> series) throws IOException {
        int width = 640;
        int height = 420;
        double lo = 100;
        int epochs = series.get(0).length;
        for (double[] s : series) {
            for (double v : s) {
                lo = Math.min(lo, 100 * v);
            }
        }
        lo = Math.max(0, 5 * Math.floor(lo / 5 - 0.2));
        Axes axes = new Axes(1, Math.max(2, epochs), lo, 100, width, height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        axes.draw(g, title, "epoch", "accuracy (%)", false);
        Color[] colors = {CLASS0, CLASS1, new Color(60, 140, 60)};
        for (int k = 0; k < series.size(); k++) {
            double[] s = series.get(k);
            Path2D path = new Path2D.Double();
            path.moveTo(axes.px(1), axes.py(100 * s[0]));
            for (int i = 1; i < s.length; i++) {
                path.lineTo(axes.px(i + 1), axes.py(100 * s[i]));
            }
            g.setColor(colors[k % colors.length]);
            g.setStroke(new BasicStroke(2.2f));
            g.draw(path);
            for (int i = 0; i < s.length; i++) {
                dot(g, axes.px(i + 1), axes.py(100 * s[i]), 4, colors[k % colors.length]);
            }
            g.setStroke(new BasicStroke(1));
            String legend = String.format(Locale.ROOT, "%s (last %.1f%%)", names.get(k), 100 * s[s.length - 1]);
            g.setColor(colors[k % colors.length]);
            g.drawString(legend, width - RIGHT - 10 - g.getFontMetrics().stringWidth(legend), height - BOTTOM - 15 - 18 * k);
        }
        return write(image, file);
    }

    /**
     * A confusion matrix: rows are the true classes, columns the predicted ones, each cell shaded
     * by its share of the row and labelled with its count.
     *
     * @param file the PNG to write
     * @param title the title
     * @param matrix {@code matrix[true][predicted]} counts
     * @param classes the class names, by label
     * @return the file
     * @throws IOException if the file cannot be written
     */
    static Path confusionMatrix(Path file, String title, int[][] matrix, List<String> classes) throws IOException {
        int n = matrix.length;
        int cell = 52;
        int left = 110;
        int top = 60;
        int width = left + n * cell + 90;
        int height = top + n * cell + 100;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        for (int r = 0; r < n; r++) {
            long total = 0;
            for (int c = 0; c < n; c++) {
                total += matrix[r][c];
            }
            for (int c = 0; c < n; c++) {
                double share = total == 0 ? 0 : (double) matrix[r][c] / total;
                Color fill = r == c ? shadeOf(CLASS0, share) : shadeOf(CLASS1, Math.min(1, 4 * share));
                g.setColor(fill);
                g.fillRect(left + c * cell, top + r * cell, cell, cell);
                g.setColor(share > 0.6 ? Color.WHITE : Color.DARK_GRAY);
                String count = String.valueOf(matrix[r][c]);
                g.drawString(count, left + c * cell + (cell - g.getFontMetrics().stringWidth(count)) / 2, top + r * cell + cell / 2 + 5);
            }
            g.setColor(Color.DARK_GRAY);
            String name = classes.get(r);
            g.drawString(name, left - 8 - g.getFontMetrics().stringWidth(name), top + r * cell + cell / 2 + 5);
        }
        AffineTransform saved = g.getTransform();
        for (int c = 0; c < n; c++) {
            g.setTransform(saved);
            g.translate(left + c * cell + cell / 2 + 4, top + n * cell + 8);
            g.rotate(Math.PI / 4);
            g.drawString(classes.get(c), 0, 0);
        }
        g.setTransform(saved);
        g.drawRect(left, top, n * cell, n * cell);
        Font font = g.getFont();
        g.setFont(font.deriveFont(Font.BOLD, 16f));
        g.drawString(title, (width - g.getFontMetrics().stringWidth(title)) / 2, 28);
        g.setFont(font);
        g.drawString("rows: true class; columns: predicted", left, 48);
        return write(image, file);
    }

    private static Color shadeOf(Color end, double t) {
        return new Color((int) (255 + t * (end.getRed() - 255)), (int) (255 + t * (end.getGreen() - 255)),
                (int) (255 + t * (end.getBlue() - 255)));
    }

    private static void dot(Graphics2D g, double x, double y, int radius, Color color) {
        int left = (int) Math.round(x) - radius;
        int top = (int) Math.round(y) - radius;
        g.setColor(color);
        g.fillOval(left, top, 2 * radius, 2 * radius);
        g.setColor(Color.WHITE);
        g.drawOval(left, top, 2 * radius, 2 * radius);
    }

    /** Blends from the class-0 colour through white to the class-1 colour, pale so the points stand out. */
    private static Color shade(double q) {
        Color end = q < 0.5 ? CLASS0 : CLASS1;
        double t = 0.55 * Math.min(1, Math.abs(q - 0.5) * 2);
        return new Color((int) (255 + t * (end.getRed() - 255)), (int) (255 + t * (end.getGreen() - 255)),
                (int) (255 + t * (end.getBlue() - 255)));
    }

    /**
     * Measurements as dots and model curves as lines on linear axes, with a legend: a fitted
     * model against its data. Curves are drawn in order, so later ones lie on top.
     *
     * @param file the PNG to write
     * @param title the title
     * @param xs the x of every measurement, increasing
     * @param measured the measurements, one per x
     * @param curveXs the x of the curves' points, increasing
     * @param curves the model curves, one value per entry of {@code curveXs} each
     * @param colors one colour per curve
     * @param legend one name per curve, or null for none (unnamed curves are left out of the legend)
     * @return the file
     * @throws IOException if the file cannot be written
     */
    static Path fit(Path file, String title, double[] xs, double[] measured, double[] curveXs, List<double[]> curves,
            List<Color> colors, List<String> legend) throws IOException {
        int width = 720;
        int height = 440;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : measured) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double pad = 0.08 * (hi - lo);
        Axes axes = new Axes(xs[0], xs[xs.length - 1], lo - pad, hi + pad, width, height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        axes.draw(g, title, "time", "displacement", false);
        g.setClip(LEFT, TOP, width - LEFT - RIGHT, height - TOP - BOTTOM);
        for (int c = 0; c < curves.size(); c++) {
            Path2D path = new Path2D.Double();
            double[] ys = curves.get(c);
            path.moveTo(axes.px(curveXs[0]), axes.py(ys[0]));
            for (int i = 1; i < curveXs.length; i++) {
                path.lineTo(axes.px(curveXs[i]), axes.py(ys[i]));
            }
            g.setColor(colors.get(c));
            g.setStroke(new BasicStroke(legend != null && legend.get(c) != null ? 2.2f : 1.2f));
            g.draw(path);
        }
        g.setStroke(new BasicStroke(1));
        for (int i = 0; i < xs.length; i++) {
            dot(g, axes.px(xs[i]), axes.py(measured[i]), 3, Color.BLACK);
        }
        g.setClip(null);
        int y = TOP + 18;
        for (int c = 0; legend != null && c < curves.size(); c++) {
            if (legend.get(c) != null) {
                g.setColor(colors.get(c));
                g.fillRect(width - RIGHT - 230, y - 9, 18, 4);
                g.setColor(Color.DARK_GRAY);
                g.drawString(legend.get(c), width - RIGHT - 206, y - 3);
                y += 18;
            }
        }
        return write(image, file);
    }

    static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        return g;
    }

    static Path write(BufferedImage image, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
        return file;
    }

    /** Maps data coordinates to pixels inside the margins of a {@code width x height} picture, and draws the frame. */
    private record Axes(double x0, double x1, double y0, double y1, int width, int height) {
        double px(double x) {
            return LEFT + (x - x0) / (x1 - x0) * (width - LEFT - RIGHT);
        }

        double py(double y) {
            return height - BOTTOM - (y - y0) / (y1 - y0) * (height - TOP - BOTTOM);
        }

        /** Plots {@code log10(values[i])} at x = i + 1: the loss of step 1 is the first. */
        void line(Graphics2D g, double[] values, Color color, float stroke) {
            Path2D path = new Path2D.Double();
            path.moveTo(px(1), py(Math.log10(Math.max(values[0], 1e-12))));
            for (int i = 1; i < values.length; i++) {
                path.lineTo(px(i + 1), py(Math.log10(Math.max(values[i], 1e-12))));
            }
            g.setColor(color);
            g.setStroke(new BasicStroke(stroke));
            g.draw(path);
            g.setStroke(new BasicStroke(1));
        }

        /**
         * Frame, ticks and labels. A line chart ({@code logY}) also gets grid lines and y ticks at
         * whole decades; over a picture a grid would hide what it shows.
         */
        void draw(Graphics2D g, String title, String xLabel, String yLabel, boolean logY) {
            for (double t : niceTicks(x0, x1)) {
                int p = (int) Math.round(px(t));
                tick(g, p, height - BOTTOM, p, TOP, logY);
                centered(g, label(t), p, height - BOTTOM + 18);
            }
            List<Double> ys = logY ? new ArrayList<>() : niceTicks(y0, y1);
            for (int e = (int) Math.ceil(y0); logY && e <= y1; e++) {
                ys.add((double) e);
            }
            for (double t : ys) {
                int p = (int) Math.round(py(t));
                tick(g, LEFT, p, width - RIGHT, p, logY);
                String s = logY ? String.format(Locale.ROOT, "1e%d", (int) t) : label(t);
                g.drawString(s, LEFT - 8 - g.getFontMetrics().stringWidth(s), p + 5);
            }
            g.setColor(Color.DARK_GRAY);
            g.drawRect(LEFT, TOP, width - LEFT - RIGHT, height - TOP - BOTTOM);
            centered(g, xLabel, (LEFT + width - RIGHT) / 2, height - 18);
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            centered(g, yLabel, -(TOP + height - BOTTOM) / 2, 22);
            g.setTransform(saved);
            Font font = g.getFont();
            g.setFont(font.deriveFont(Font.BOLD, 16f));
            centered(g, title, width / 2, 28);
            g.setFont(font);
        }

        /** A tick mark at (xa, ya), with a light grid line across to (xb, yb) if asked. */
        private static void tick(Graphics2D g, int xa, int ya, int xb, int yb, boolean grid) {
            if (grid) {
                g.setColor(GRID);
                g.drawLine(xa, ya, xb, yb);
            }
            g.setColor(Color.DARK_GRAY);
            if (xa == xb) {
                g.drawLine(xa, ya, xa, ya + 5);
            } else {
                g.drawLine(xa - 5, ya, xa, ya);
            }
        }

        private static void centered(Graphics2D g, String s, int x, int y) {
            g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, y);
        }

        private static String label(double v) {
            boolean whole = Math.abs(v - Math.rint(v)) < 1e-9;
            return whole ? String.valueOf((long) Math.rint(v)) : String.format(Locale.ROOT, "%.1f", v);
        }

        /** About five ticks at multiples of 1, 2 or 5 times a power of ten. */
        private static List<Double> niceTicks(double lo, double hi) {
            double raw = (hi - lo) / 5;
            double unit = Math.pow(10, Math.floor(Math.log10(raw)));
            double step = raw / unit < 1.5 ? unit : raw / unit < 3.5 ? 2 * unit : raw / unit < 7.5 ? 5 * unit : 10 * unit;
            List<Double> ticks = new ArrayList<>();
            for (double t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * step; t += step) {
                ticks.add(t);
            }
            return ticks;
        }
    }
}
