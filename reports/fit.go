package reports

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// PowerFit is a fitted scaling model y = C · x^Exponent, from an ordinary
// least-squares regression of log y on log x, with a confidence interval
// on the exponent from Student's t distribution with n−2 degrees of freedom.
type PowerFit struct {
	// Exponent is the fitted slope on log-log axes; Lo and Hi bound its
	// confidence interval at Level.
	Exponent, Lo, Hi, Level float64
	// Coeff is C (the fitted value at x = 1).
	Coeff float64
	// R2 is the coefficient of determination on log-log axes.
	R2 float64
	// N is the number of points fitted.
	N int
}

// FitPowerLaw fits y = C·x^b to the points with x > 0 and y > 0 (others
// are skipped) and gives the exponent's confidence interval at level (for
// example 0.95). It needs at least three usable points and two distinct x.
func FitPowerLaw(xs, ys []float64, level float64) (PowerFit, error) {
	var lx, ly []float64
	for i := range xs {
		if xs[i] > 0 && ys[i] > 0 && !math.IsInf(ys[i], 0) {
			lx = append(lx, math.Log(xs[i]))
			ly = append(ly, math.Log(ys[i]))
		}
	}
	n := len(lx)
	if n < 3 {
		return PowerFit{}, errors.New("fewer than three points with positive x and y")
	}
	mx := stat.Mean(lx, nil)
	var sxx float64
	for _, x := range lx {
		sxx += (x - mx) * (x - mx)
	}
	if sxx == 0 {
		return PowerFit{}, errors.New("only one fleet size (x value)")
	}
	alpha, beta := stat.LinearRegression(lx, ly, nil, false)
	var ssr float64
	for i := range lx {
		r := ly[i] - (alpha + beta*lx[i])
		ssr += r * r
	}
	se := math.Sqrt(ssr / float64(n-2) / sxx)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile(0.5 + level/2)
	return PowerFit{
		Exponent: beta, Lo: beta - t*se, Hi: beta + t*se, Level: level,
		Coeff: math.Exp(alpha), R2: stat.RSquared(lx, ly, nil, alpha, beta), N: n,
	}, nil
}

// At returns the fitted value at x.
func (f PowerFit) At(x float64) float64 { return f.Coeff * math.Pow(x, f.Exponent) }

// Reaches returns the x at which the fitted value reaches y (+Inf when the
// exponent is not positive).
func (f PowerFit) Reaches(y float64) float64 {
	if f.Exponent <= 0 || f.Coeff <= 0 {
		return math.Inf(1)
	}
	return math.Pow(y/f.Coeff, 1/f.Exponent)
}
