package dev.chord.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Writes the report's charts as PNG files (XChart, headless). */
final class Plots {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;

  private Plots() {}

  /** A line chart; {@code logX}/{@code logY} make that axis logarithmic. */
  static XYChart lines(String title, String xTitle, String yTitle, boolean logX, boolean logY) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setXAxisLogarithmic(logX);
    chart.getStyler().setYAxisLogarithmic(logY);
    chart.getStyler().setLegendPosition(LegendPosition.InsideNW);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesVisible(true);
    chart.getStyler().setDecimalPattern("#,##0.###");
    return chart;
  }

  /** Adds a measured series with round markers. */
  static void measured(XYChart chart, String name, List<Double> x, List<Double> y) {
    // A log axis cannot show 0: a CPU clock too coarse for a short (smoke) run measures 0 per op.
    boolean logY = chart.getStyler().isYAxisLogarithmic();
    List<Double> shownX = new java.util.ArrayList<>();
    List<Double> shownY = new java.util.ArrayList<>();
    for (int i = 0; i < x.size(); i++) {
      if (!logY || y.get(i) > 0) {
        shownX.add(x.get(i));
        shownY.add(y.get(i));
      }
    }
    if (!shownX.isEmpty()) {
      XYSeries series = chart.addSeries(name, shownX, shownY);
      series.setMarker(SeriesMarkers.CIRCLE);
    }
  }

  /** Adds a reference series (the original, a target) as a dashed line. */
  static void reference(XYChart chart, String name, List<Double> x, List<Double> y, Color color) {
    XYSeries series = chart.addSeries(name, x, y);
    series.setMarker(SeriesMarkers.DIAMOND);
    series.setLineColor(color);
    series.setMarkerColor(color);
    series.setLineStyle(
        new BasicStroke(
            2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f));
  }

  /** A bar chart; {@code logY} makes the value axis logarithmic. */
  static CategoryChart bars(String title, String xTitle, String yTitle, boolean logY) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setYAxisLogarithmic(logY);
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setDecimalPattern("#,##0");
    return chart;
  }

  static void save(Chart<?, ?> chart, Path png) throws IOException {
    Files.createDirectories(png.getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapFormat.PNG);
  }
}
