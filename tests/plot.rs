//! Figures: every figure function renders PNG and SVG; PNGs decode to the requested size
//! and show the branch colours; SVGs carry the legend text; bad paths and options give
//! errors, not panics.
#![cfg(feature = "plot")]

use eigentrack::nalgebra::DMatrix;
use eigentrack::plot::{plot_sweep, Panels, PlotOptions};
use eigentrack::{track, Complex64, Error, Part, Tracker, Tracking};
use std::path::{Path, PathBuf};

/// A fresh folder under the system temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "eigentrack-plot-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn join(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first two colours of the palette (matplotlib's tab10 blue and orange).
const BLUE: [u8; 3] = [31, 119, 180];
const ORANGE: [u8; 3] = [255, 127, 14];

/// λ = t and λ = e^{t²} − 1 under a rotation: two crossings.
fn crossing() -> Tracking {
    track(
        |t: f64| {
            let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
            let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
            let d = DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
            &r * d * r.transpose()
        },
        -1.0..=1.5,
    )
    .unwrap()
}

/// The PT dimer: a real pair meeting at γ = 1 and leaving as an imaginary pair.
fn pt_dimer() -> Tracking {
    track(
        |g: f64| {
            let (one, ig) = (Complex64::new(1.0, 0.0), Complex64::new(0.0, g));
            DMatrix::from_row_slice(2, 2, &[ig, one, one, -ig])
        },
        0.0..=2.0,
    )
    .unwrap()
}

/// Decode a PNG, check its size, that the plot area is not blank and that every colour
/// of `colours` appears somewhere.
fn assert_png(path: &Path, size: (u32, u32), colours: &[[u8; 3]]) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), size, "{}", path.display());
    // The middle of the figure (inside the panels) has more than one colour.
    let (w, h) = size;
    let mut seen = std::collections::HashSet::new();
    for y in h / 4..3 * h / 4 {
        for x in w / 10..6 * w / 10 {
            seen.insert(img.get_pixel(x, y).0);
        }
    }
    assert!(seen.len() > 1, "{}: the plot area is blank", path.display());
    for c in colours {
        assert!(
            img.pixels().any(|p| p.0 == *c),
            "{}: colour {c:?} not drawn",
            path.display()
        );
    }
}

/// Read an SVG, check its size and that it contains every text of `texts`.
fn assert_svg(path: &Path, size: (u32, u32), texts: &[&str]) {
    let svg = std::fs::read_to_string(path).unwrap();
    assert!(svg.starts_with("<svg"), "{}", path.display());
    assert!(
        svg.contains(&format!("width=\"{}\" height=\"{}\"", size.0, size.1)),
        "{}: wrong size",
        path.display()
    );
    for t in texts {
        assert!(svg.contains(t), "{}: {t:?} missing", path.display());
    }
}

#[test]
fn plot_with_defaults_writes_png_and_svg() {
    let dir = TempDir::new("defaults");
    let tr = crossing();
    tr.plot(dir.join("curves.png")).unwrap();
    assert_png(&dir.join("curves.png"), (1200, 700), &[BLUE, ORANGE]);
    tr.plot(dir.join("curves.SVG")).unwrap();
    assert_svg(
        &dir.join("curves.SVG"),
        (1200, 700),
        &[
            "branch 0",
            "branch 1",
            "crossing",
            "Re λ",
            "eigenvalues along t",
        ],
    );
}

#[test]
fn every_panel_renders_at_the_requested_size() {
    let dir = TempDir::new("panels");
    let size = (900, 520);
    for (name, tr, param, legend) in [
        ("crossing", crossing(), "t", "crossing"),
        ("pt", pt_dimer(), "γ", "exceptional point"),
    ] {
        for (panels, texts) in [
            (Panels::Eigencurves, vec![legend]),
            (
                Panels::SortedVsTracked,
                vec!["sorted solver output", "eigentrack branches"],
            ),
            (Panels::ComplexPlane, vec!["increasing", "Im λ"]),
            (Panels::Slopes, vec!["sorted order"]),
        ] {
            let options = PlotOptions::new()
                .panels(panels)
                .parameter(param)
                .labels(["first branch", "second branch"])
                .sorted_slopes(true)
                .size(size.0, size.1);
            let png = dir.join(&format!("{name}-{panels:?}.png"));
            tr.plot_with(&png, &options).unwrap();
            assert_png(&png, size, &[BLUE, ORANGE]);
            let svg = dir.join(&format!("{name}-{panels:?}.svg"));
            tr.plot_with(&svg, &options).unwrap();
            let mut all = vec!["first branch", "second branch"];
            all.extend(texts);
            assert_svg(&svg, size, &all);
        }
    }
}

#[test]
fn complex_branches_get_an_imaginary_panel() {
    let dir = TempDir::new("parts");
    let path = dir.join("pt.svg");
    pt_dimer().plot(&path).unwrap();
    assert_svg(&path, (1200, 700), &["Re λ", "Im λ"]);
    // Only the parts asked for.
    crossing()
        .plot_with(&path, &PlotOptions::new().parts([Part::Abs]))
        .unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("|λ|") && !svg.contains("Re λ"));
}

#[test]
fn branch_selection_draws_only_those_branches() {
    let dir = TempDir::new("select");
    let path = dir.join("one.png");
    // The drawn branches take the palette in order: branch 1 alone is blue.
    crossing()
        .plot_with(&path, &PlotOptions::new().branches([1]))
        .unwrap();
    let img = image::open(&path).unwrap().to_rgb8();
    assert!(img.pixels().any(|p| p.0 == BLUE));
    assert!(
        !img.pixels().any(|p| p.0 == ORANGE),
        "a second branch was drawn"
    );
    let svg = dir.join("one.svg");
    crossing()
        .plot_with(&svg, &PlotOptions::new().branches([1]))
        .unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("branch 1") && !text.contains("branch 0"));
}

#[test]
fn levels_guides_and_titles_appear() {
    let dir = TempDir::new("levels");
    let tr = Tracker::new()
        .level(Part::Re, 0.0)
        .unwrap()
        .track(
            |b: f64| DMatrix::from_row_slice(2, 2, &[b - 1.0, 1.0, -b, -1.0]),
            1.0..=3.0,
        )
        .unwrap();
    let path = dir.join("hopf.svg");
    tr.plot_with(
        &path,
        &PlotOptions::new()
            .title("Brusselator")
            .parameter("b")
            .guide("reference", [(1.0, 0.0), (3.0, 1.0)]),
    )
    .unwrap();
    assert_svg(
        &path,
        (1200, 700),
        &["Brusselator", "level Re λ = 0", "reference", "b = 2"],
    );
    // An empty title draws none.
    tr.plot_with(&path, &PlotOptions::new().title("")).unwrap();
    assert!(!std::fs::read_to_string(&path)
        .unwrap()
        .contains("eigenvalues along"));
}

#[test]
fn sweep_draws_a_colour_scale() {
    let dir = TempDir::new("sweep");
    let runs: Vec<(f64, Tracking)> = [0.1, 0.3, 0.5]
        .iter()
        .map(|&g| {
            let tr = track(
                move |t: f64| DMatrix::from_row_slice(2, 2, &[t, g, g, -t]),
                -1.0..=1.0,
            )
            .unwrap();
            (g, tr)
        })
        .collect();
    let options = PlotOptions::new().sweep_label("coupling g").size(800, 500);
    plot_sweep(dir.join("sweep.png"), &runs, &options).unwrap();
    // Both ends of the viridis scale are in the colour bar.
    assert_png(
        &dir.join("sweep.png"),
        (800, 500),
        &[[68, 1, 84], [253, 231, 37]],
    );
    plot_sweep(dir.join("sweep.svg"), &runs, &options).unwrap();
    assert_svg(
        &dir.join("sweep.svg"),
        (800, 500),
        &["coupling g", "eigencurves over coupling g", "0.1", "0.5"],
    );
    match plot_sweep(dir.join("empty.png"), &[], &options) {
        Err(Error::InvalidArgument { name: "runs", .. }) => {}
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    let bad = vec![(f64::NAN, runs[0].1.clone())];
    assert!(matches!(
        plot_sweep(dir.join("nan.png"), &bad, &options),
        Err(Error::InvalidArgument { name: "runs", .. })
    ));
}

#[test]
fn unknown_extension_and_unwritable_paths_are_errors() {
    let dir = TempDir::new("errors");
    let tr = crossing();
    for (path, reason) in [
        (dir.join("figure.jpg"), "unknown extension .jpg"),
        (dir.join("figure"), "no file extension"),
        (dir.join("missing/figure.png"), "does not exist"),
        (dir.join("missing/figure.svg"), "does not exist"),
    ] {
        match tr.plot(&path) {
            Err(Error::Output { path: p, reason: r }) => {
                assert_eq!(p, path.display().to_string());
                assert!(r.contains(reason), "{r:?} should say {reason:?}");
            }
            other => panic!(
                "expected Error::Output for {}, got {other:?}",
                path.display()
            ),
        }
        assert!(!path.exists());
    }
    // A folder named like a figure.
    let folder = dir.join("taken.png");
    std::fs::create_dir_all(&folder).unwrap();
    assert!(matches!(tr.plot(&folder), Err(Error::Output { .. })));
    let e = tr.plot(dir.join("figure.gif")).unwrap_err();
    assert!(e.to_string().contains("figure.gif"), "{e}");
}

#[test]
fn invalid_options_are_errors() {
    let dir = TempDir::new("options");
    let tr = crossing();
    let path = dir.join("x.png");
    for (options, name) in [
        (PlotOptions::new().size(0, 700), "PlotOptions::size"),
        (PlotOptions::new().size(1200, 20_000), "PlotOptions::size"),
        (PlotOptions::new().branches([0, 5]), "PlotOptions::branches"),
        (
            PlotOptions::new().labels(["only one"]),
            "PlotOptions::labels",
        ),
        (PlotOptions::new().parts([]), "PlotOptions::parts"),
    ] {
        match tr.plot_with(&path, &options) {
            Err(Error::InvalidArgument { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidArgument {name}, got {other:?}"),
        }
    }
    assert!(!path.exists());
}

/// 40 levels λ_k = ⌊k/2⌋ + t (k even) and ⌊k/2⌋ + ½ − t (k odd) on [0, 1]: each pair
/// crosses at t = ¼.
fn ladder() -> Tracking {
    track(
        |t: f64| {
            DMatrix::from_fn(40, 40, |i, j| match (i == j, i % 2) {
                (false, _) => 0.0,
                (true, 0) => (i / 2) as f64 + t,
                (true, _) => (i / 2) as f64 + 0.5 - t,
            })
        },
        0.0..=1.0,
    )
    .unwrap()
}

#[test]
fn many_branches_get_a_colour_bar_and_an_event_legend() {
    let dir = TempDir::new("many");
    let tr = ladder();
    assert_eq!(tr.branches().len(), 40);
    let svg = dir.join("many.svg");
    tr.plot(&svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    // A colour bar titled "branch" with its end indices; the events in the legend, not
    // labelled on the curves; no legend entry per branch.
    assert_svg(&svg, (1200, 700), &["\nbranch\n", "\n39\n", "crossing"]);
    assert!(
        !text.contains("branch 0") && !text.contains("… "),
        "a legend of branches"
    );
    assert!(!text.contains("t = 0.25"), "event labels drawn");
    // No palette colour: the branches are coloured on the scale.
    let png = dir.join("many.png");
    tr.plot(&png).unwrap();
    let img = image::open(&png).unwrap().to_rgb8();
    assert!(!img.pixels().any(|p| p.0 == BLUE || p.0 == ORANGE));
    // Twelve of them are still drawn with a legend of branches, in twelve colours of the
    // scale (the ten-colour palette would repeat); ten with the palette.
    tr.plot_with(&svg, &PlotOptions::new().branches(10..22))
        .unwrap();
    assert_svg(&svg, (1200, 700), &["branch 10", "branch 21", "t = 0.25"]);
    tr.plot_with(&png, &PlotOptions::new().branches(10..22))
        .unwrap();
    let img = image::open(&png).unwrap().to_rgb8();
    assert!(!img.pixels().any(|p| p.0 == BLUE || p.0 == ORANGE));
    tr.plot_with(&png, &PlotOptions::new().branches(10..20))
        .unwrap();
    assert_png(&png, (1200, 700), &[BLUE, ORANGE]);
}

/// diag(1, 2, …, 50) − t·e₅₀e₅₀ᵀ, the 2 eigenvalues nearest σ = 3.6 for t ∈ [0, 49.9]:
/// the level 50 − t enters the window at t = 45.8 (3 leaves), crosses 4 at t = 46, and
/// crosses 3 at t = 47, where it leaves the window and 3 comes back.
fn window_tracking() -> eigentrack::sparse::WindowTracking {
    use eigentrack::nalgebra_sparse::{CooMatrix, CscMatrix};
    use eigentrack::sparse::{Nearest, SparseTerms};
    let n = 50;
    let (mut d, mut e) = (CooMatrix::new(n, n), CooMatrix::new(n, n));
    for i in 0..n {
        d.push(i, i, (i + 1) as f64);
    }
    e.push(n - 1, n - 1, -1.0);
    let fam = SparseTerms::new(n)
        .constant(CscMatrix::from(&d))
        .unwrap()
        .term(CscMatrix::from(&e), |t| t)
        .unwrap();
    Nearest::new(2, 3.6)
        .unwrap()
        .samples(51)
        .unwrap()
        .track(&fam, 0.0..=49.9)
        .unwrap()
}

#[test]
fn window_tracking_figure_marks_entries_exits_crossings_and_sigma() {
    let dir = TempDir::new("window");
    let tr = window_tracking();
    let kinds: Vec<&str> = tr.events().iter().map(|e| e.kind()).collect();
    assert!(
        kinds.contains(&"window_entry") && kinds.contains(&"crossing"),
        "{kinds:?}"
    );
    tr.plot(dir.join("w.svg")).unwrap();
    assert_svg(
        &dir.join("w.svg"),
        (1200, 700),
        &[
            "enters the window",
            "leaves the window",
            "crossing",
            "σ = 3.6",
            "outside the window (guard band)",
            "the 2 eigenvalues nearest σ along t",
            "Re λ",
            "t = 46",
        ],
    );
    let svg = std::fs::read_to_string(dir.join("w.svg")).unwrap();
    // only the branches that are in the window at some sample are drawn by default
    for (k, b) in tr.branches().iter().enumerate() {
        let label = format!("\nbranch {k}\n");
        assert_eq!(
            svg.contains(&label),
            b.in_window().iter().any(|&w| w),
            "{label}"
        );
    }
    tr.plot_with(dir.join("w.png"), &PlotOptions::new().size(900, 600))
        .unwrap();
    // branch 1 (level 3) in its colour, and faded (two thirds white) after it leaves the
    // window at t = 45.8
    // branch 1 (level 3) leaves the window at t = 45.8 and comes back at t = 47: between
    // those it is drawn faded (two thirds white), dashed
    let out: Vec<bool> = tr.branches()[1].in_window().iter().map(|w| !w).collect();
    assert!(!out[45] && out[46] && out[47] && !out[48], "{out:?}");
    let faded = ORANGE.map(|c| ((c as u16 + 510) / 3) as u8);
    assert_png(&dir.join("w.png"), (900, 600), &[BLUE, ORANGE, faded]);
    // only eigencurves; options are checked
    match tr.plot_with(
        dir.join("x.png"),
        &PlotOptions::new().panels(Panels::Slopes),
    ) {
        Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "PlotOptions::panels"),
        other => panic!("{other:?}"),
    }
    let n = tr.branches().len();
    assert!(matches!(
        tr.plot_with(dir.join("x.png"), &PlotOptions::new().branches([n])),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        tr.plot(dir.join("x.pdf")),
        Err(Error::Output { .. })
    ));
}

/// Issue 28, bug 11: eleven branches (more than the ten-colour palette, fewer than a
/// dense figure) get eleven distinct colours; branches 0 and 10 were both blue.
#[test]
fn eleven_branches_get_eleven_colours() {
    let dir = TempDir::new("eleven");
    let tr = track(
        |t: f64| {
            DMatrix::from_fn(
                11,
                11,
                |i, j| if i == j { i as f64 * (1.0 + t) } else { 0.0 },
            )
        },
        0.0..=1.0,
    )
    .unwrap();
    let path = dir.join("eleven.svg");
    tr.plot(&path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    // the curves are the polylines; their stroke colours
    let mut colours = std::collections::HashSet::new();
    for line in svg.lines().filter(|l| l.contains("<polyline")) {
        if let Some(i) = line.find("stroke=\"#") {
            colours.insert(line[i + 9..i + 15].to_string());
        }
    }
    // not the black and grey of axes, zero line and guides
    colours.retain(|c| {
        !["000000", "B9B9B9", "969696", "5A5A5A", "DEDEDE", "F4F4F4"].contains(&c.as_str())
    });
    assert!(colours.len() >= 11, "{colours:?}");
}

/// Issue 28, bug 11: bitmap curves are anti-aliased (drawn at twice the size and averaged
/// down): light blends of the branch colours border the curves.
#[test]
fn bitmap_curves_are_anti_aliased() {
    let dir = TempDir::new("aa");
    let path = dir.join("aa.png");
    crossing().plot(&path).unwrap();
    let img = image::open(&path).unwrap().to_rgb8();
    // α·BLUE + (1 − α)·white, 0.2 < α < 0.8: the edge pixels of a blue curve
    let blends = img
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0.map(f64::from);
            let a = (255.0 - r) / (255.0 - 31.0);
            (0.2..0.8).contains(&a)
                && (g - (255.0 - a * (255.0 - 119.0))).abs() < 4.0
                && (b - (255.0 - a * (255.0 - 180.0))).abs() < 4.0
        })
        .count();
    assert!(blends > 900, "{blends} anti-aliased blue pixels");
    assert_png(&path, (1200, 700), &[BLUE, ORANGE]);
}

/// Issue 28, bug 11: two branches that pass within a pixel of each other for a stretch,
/// where nothing is reported (their gap, 0.004, stays open and is not sharp), stay solid
/// lines (the second was dashed there, with gaps): its colour shows in every pixel column
/// of the panel's middle.
#[test]
fn no_gaps_where_branches_pass_close() {
    let dir = TempDir::new("gaps");
    let tr = Tracker::new()
        .samples(401)
        .unwrap()
        .track(
            |t: f64| DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, t + 0.004 + t * t]),
            -1.0..=1.0,
        )
        .unwrap();
    assert!(tr.events().is_empty(), "{:?}", tr.events());
    let path = dir.join("gaps.png");
    tr.plot(&path).unwrap();
    let img = image::open(&path).unwrap().to_rgb8();
    let orange = |p: &image::Rgb<u8>| {
        let [r, g, b] = p.0;
        r > 200 && (90..190).contains(&g) && b < 120
    };
    // columns with orange somewhere; the middle of the panel is around t = 0
    let cols: Vec<u32> = (0..img.width())
        .filter(|&x| (0..img.height()).any(|y| orange(img.get_pixel(x, y))))
        .collect();
    let (lo, hi) = (cols[0], *cols.last().unwrap());
    let mid = (lo + hi) / 2;
    for x in mid - 40..mid + 40 {
        assert!(cols.contains(&x), "column {x} has no orange ({lo}..{hi})");
    }
}
