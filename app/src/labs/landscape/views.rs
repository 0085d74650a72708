//! The landscape pictures, computed on the backend the run trains on, as
//! often as it allows: one grid (contours and slice), one sharpness
//! estimate and one line (mode connectivity) in flight at a time, each
//! restarted when it lands. Grids and lines wait as long as the last one
//! took, so pictures take at most half of the GPU from training.

use gradlab_core::engine::Pending;
use gradlab_core::landscape::{barrier, line_points, pca_plane, random_plane, Grid, Plane};
use gradlab_core::Subset;

use super::run::{Nets, Readout};
use super::state::{LandscapeState, PlaneKind, View};
use crate::kit::Frame;
use crate::kit::LabView;
use crate::web;

/// Parameter snapshots kept for the trajectory (thinned by half when full).
const TRAJECTORY_CAP: usize = 120;
/// Milliseconds between two snapshots the trajectory records (five a
/// second: what a path needs, and a page that holds little between them).
const RECORD_EVERY_MS: f64 = 200.0;
/// Points of the 1D slice.
const SLICE_POINTS: usize = 101;
/// Power iterations for the first sharpness estimate, then per update
/// (warm-started from the last vector).
const FIRST_ITERATIONS: u32 = 30;
const WARM_ITERATIONS: u32 = 8;

pub struct GridRequest {
    pub grid: Grid,
    pub plane: Plane,
    pub path: Vec<[f32; 2]>,
    pub alphas: Vec<f32>,
    pub step: u64,
}

pub struct Picture {
    pub request: GridRequest,
    pub losses: Vec<f32>,
    pub slice: Vec<f32>,
}

pub struct LineResult {
    pub t: Vec<f32>,
    pub train: Vec<f32>,
    pub test: Vec<f32>,
}

/// Train and test losses along the line, and the step they were asked at.
type LineJob = (Pending<(Vec<f32>, Vec<f32>)>, u64);

/// What the pictures have computed and have in flight.
#[derive(Default)]
pub struct Views {
    pub trajectory: Vec<Vec<f32>>,
    last_params_step: Option<u64>,
    last_record_at: f64,
    grid_job: Option<(Pending<Vec<f32>>, GridRequest)>,
    pub picture: Option<Picture>,
    sharp_job: Option<(Pending<f32>, u64)>,
    pub sharpness: Vec<(u64, f32)>,
    line_job: Option<LineJob>,
    pub line: Option<LineResult>,
    line_step: Option<u64>,
    /// Recompute the grid even if no step was taken (new picture settings).
    pub grid_stale: bool,
    /// When (ms) the grid and the line in flight started, and the earliest
    /// time the next may start.
    grid_started: f64,
    next_grid_at: f64,
    line_started: f64,
    next_line_at: f64,
}

impl Views {
    /// Appends the parameters at `step` to the trajectory (the first, then
    /// one every [`RECORD_EVERY_MS`] at most), dropping every other old
    /// snapshot when full (the first and the newest stay).
    pub fn record(&mut self, step: u64, params: &[f32], now: f64) {
        if self.last_params_step == Some(step) || (!self.trajectory.is_empty() && now - self.last_record_at < RECORD_EVERY_MS) {
            return;
        }
        (self.last_params_step, self.last_record_at) = (Some(step), now);
        self.trajectory.push(params.to_vec());
        crate::charts::thin(&mut self.trajectory, TRAJECTORY_CAP);
    }
}

/// The plane, grid and path of the next contour picture.
fn grid_request(v: &Views, nets: &Nets, s: &LandscapeState, step: u64, readout: &mut Readout) -> Option<GridRequest> {
    // The current weights (the trajectory's newest may be a moment older).
    let theta = nets.a.params()?;
    let layout = nets.a.problem().spec.layout();
    let pca = (s.plane == PlaneKind::Pca).then(|| pca_plane(&v.trajectory)).flatten();
    readout.explained = pca.as_ref().map(|p| p.explained);
    readout.plane_note = (s.plane == PlaneKind::Pca && pca.is_none())
        .then(|| "the PCA plane needs at least three snapshots of a moving trajectory; showing a random plane meanwhile.".into());
    let (plane, grid) = match pca {
        Some(p) => {
            // Frame the whole path with a margin, square in plane units.
            let coords: Vec<[f32; 2]> = v.trajectory.iter().map(|t| p.plane.coordinates(t)).collect();
            let reach = coords.iter().flatten().fold(0.0f32, |m, v| if v.abs() > m { v.abs() } else { m });
            let half = if reach > 0.0 { 1.25 * reach } else { s.range };
            (p.plane, Grid::square(s.grid, half))
        }
        None => (random_plane(&layout, theta, s.seed), Grid::square(s.grid, s.range)),
    };
    let path = v.trajectory.iter().map(|t| plane.coordinates(t)).collect();
    let alphas = (0..SLICE_POINTS).map(|i| grid.alpha.0 + (grid.alpha.1 - grid.alpha.0) * i as f32 / (SLICE_POINTS - 1) as f32).collect();
    Some(GridRequest { grid, plane, path, alphas, step })
}

/// A job's result and what it was asked with, once it has arrived (a
/// failure is shown and ends the job).
fn collect<T: 'static, A>(job: &mut Option<(Pending<T>, A)>, f: &Frame<'_, LandscapeState>) -> Option<(T, A)> {
    let result = job.as_mut()?.0.poll(web::now)?;
    let (_, asked) = job.take()?;
    result.map_err(|e| f.failed(&e)).ok().map(|value| (value, asked))
}

/// Collects finished computations and starts new ones; returns whether
/// anything new arrived.
pub fn jobs(v: &mut Views, nets: &mut Nets, s: &LandscapeState, step: u64, f: &Frame<'_, LandscapeState>, readout: &mut Readout) -> bool {
    let now = f.now;
    let mut fresh = false;

    // Contours and slice.
    if let Some((mut losses, request)) = collect(&mut v.grid_job, f) {
        let slice = losses.split_off(request.grid.size * request.grid.size);
        let took = now - v.grid_started;
        v.next_grid_at = now + took;
        readout.grids += 1;
        readout.grid_step = request.step;
        readout.grid_ms = took;
        v.picture = Some(Picture { request, losses, slice });
        fresh = true;
    }
    let wants_grid = s.view.shows(View::Contour) || s.view.shows(View::Slice);
    let grid_due = v.grid_stale || v.picture.as_ref().is_none_or(|p| p.request.step != step);
    if wants_grid && v.grid_job.is_none() && grid_due && (v.grid_stale || now >= v.next_grid_at) {
        if let Some(request) = grid_request(v, nets, s, step, readout) {
            let mut points = request.grid.points();
            points.extend(request.alphas.iter().map(|&a| [a, 0.0]));
            match nets.a.losses(request.plane.clone(), points, Subset::Train) {
                Ok(job) => {
                    v.grid_job = Some((job, request));
                    v.grid_stale = false;
                    v.grid_started = now;
                }
                Err(e) => f.failed(&e),
            }
        }
    }

    // Sharpness.
    if let Some((value, at)) = collect(&mut v.sharp_job, f) {
        v.sharpness.push((at, value));
        readout.sharpness = Some(value);
        fresh = true;
    }
    let measured = v.sharpness.last().map(|p| p.0);
    if s.view.shows(View::Sharpness) && v.sharp_job.is_none() && measured != Some(step) && !v.trajectory.is_empty() {
        let iterations = if v.sharpness.is_empty() { FIRST_ITERATIONS } else { WARM_ITERATIONS };
        match nets.a.sharpness(iterations) {
            Ok(job) => v.sharp_job = Some((job, step)),
            Err(e) => f.failed(&e),
        }
    }

    // Mode connectivity.
    if let Some(((train, test), at)) = collect(&mut v.line_job, f) {
        let t: Vec<f32> = line_points().iter().map(|p| p[0]).collect();
        readout.barrier = barrier(&t, &train).map(|tr| (tr, barrier(&t, &test)));
        v.line = Some(LineResult { t, train, test });
        v.line_step = Some(at);
        v.next_line_at = now + (now - v.line_started);
        fresh = true;
    }
    let line_due = v.line_job.is_none() && v.line_step != Some(step) && now >= v.next_line_at;
    if let (Some(b), true) = (&nets.b, line_due) {
        if let (Some(pa), Some(pb)) = (nets.a.params(), b.params()) {
            let line = Plane::line(pa, pb);
            let started = nets
                .a
                .losses(line.clone(), line_points(), Subset::Train)
                .and_then(|train| Ok(train.zip(nets.a.losses(line, line_points(), Subset::Test)?)));
            match started {
                Ok(job) => {
                    v.line_job = Some((job, step));
                    v.line_started = now;
                }
                Err(e) => f.failed(&e),
            }
        }
    }
    fresh
}
