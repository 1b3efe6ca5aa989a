package main

import (
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var chartScenarios = []string{"native", "hybrid", "go_half", "rust_pipeline", "filter_go", "filter_hybrid", "native_batch", "go_rust_go"}

var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
}

func nz(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return f
}

// charts writes throughput.png (input items/s per scenario and combo) and
// cpu.png (CPU s per million items, Go parent + Rust child, headline combo).
func charts(s *summary, out string) {
	ag := aggregate(s)
	val := func(sc, c string, f func(*agg) float64) float64 {
		if m := ag[sc]; m != nil && m[c] != nil {
			return nz(f(m[c]))
		}
		return 0
	}
	{
		p := plot.New()
		p.Title.Text = "Max sustained throughput (input items/s, thousands)"
		p.Y.Label.Text = "k items/s"
		w := vg.Points(12)
		for i, c := range comboList {
			var v plotter.Values
			for _, sc := range chartScenarios {
				v = append(v, val(sc, c, func(a *agg) float64 { return a.thr / 1e3 }))
			}
			b, err := plotter.NewBarChart(v, w)
			if err != nil {
				logf("chart: %v", err)
				return
			}
			b.Color = palette[i%len(palette)]
			b.LineStyle.Width = 0
			b.Offset = w * vg.Length(float64(i)-1.5)
			p.Add(b)
			p.Legend.Add(c, b)
		}
		p.Legend.Top = true
		p.NominalX(chartScenarios...)
		p.Add(plotter.NewGrid())
		p.Y.Min = 0
		p.Y.Max *= 1.3 // room for the legend
		p.X.Min, p.X.Max = -0.6, float64(len(chartScenarios))-0.4
		if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(out, "throughput.png")); err != nil {
			logf("chart: %v", err)
		}
	}
	{
		p := plot.New()
		p.Title.Text = "CPU seconds per million items (" + s.Headline + "): Go parent + Rust child"
		p.Y.Label.Text = "CPU s / M items"
		w := vg.Points(28)
		var par, chi, bench plotter.Values
		for _, sc := range chartScenarios {
			par = append(par, val(sc, s.Headline, func(a *agg) float64 { return a.cpuP }))
			chi = append(chi, val(sc, s.Headline, func(a *agg) float64 { return a.cpuC }))
			bench = append(bench, val(sc, s.Headline, func(a *agg) float64 { return a.cpuB }))
		}
		bp, _ := plotter.NewBarChart(par, w)
		bp.Color = palette[0]
		bp.LineStyle.Width = 0
		bp.Offset = -w / 2
		bc, _ := plotter.NewBarChart(chi, w)
		bc.Color = palette[1]
		bc.LineStyle.Width = 0
		bc.StackOn(bp)
		bb, _ := plotter.NewBarChart(bench, w)
		bb.Color = color.RGBA{0xaa, 0xaa, 0xaa, 0xff}
		bb.LineStyle.Width = 0
		bb.Offset = w / 2
		p.Add(bp, bc, bb)
		p.Legend.Add("Go parent (otelcol-hybrid / gocol)", bp)
		p.Legend.Add("Rust child (otelcol-rust)", bc)
		p.Legend.Add("load generator + sink (not counted)", bb)
		p.Legend.Top = true
		p.NominalX(chartScenarios...)
		p.Add(plotter.NewGrid())
		p.Y.Min = 0
		p.Y.Max *= 1.35 // room for the legend
		p.X.Min, p.X.Max = -0.6, float64(len(chartScenarios))-0.4
		if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(out, "cpu.png")); err != nil {
			logf("chart: %v", err)
		}
	}
}
