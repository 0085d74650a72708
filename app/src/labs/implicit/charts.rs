//! The implicit-bias lab's charts, drawn by each experiment's file.

use super::run::Run;
use super::state::ImplicitState;
use super::{lstsq, margin, matrix};
use crate::charts::Surface;

#[derive(Clone, Copy, PartialEq)]
pub enum Chart {
    Plane,
    Distance,
    Data,
    Angle,
    Norm,
    Margin,
    Matrices,
    Singular,
    Error,
    Rank,
    Nuclear,
}

/// Draws `chart` of the run so far (nothing for an experiment not shown).
pub fn draw(run: &Run, s: &ImplicitState, chart: Chart, surface: &mut Surface<'_>) {
    match chart {
        Chart::Plane | Chart::Distance => {
            if let Some(r) = &run.lstsq {
                if chart == Chart::Plane {
                    lstsq::draw_plane(r, s, surface);
                } else {
                    lstsq::draw_distance(r, s, surface);
                }
            }
        }
        Chart::Data | Chart::Angle | Chart::Norm | Chart::Margin => {
            if let Some(r) = &run.margin {
                match chart {
                    Chart::Data => margin::draw_data(r, surface),
                    Chart::Angle => margin::draw_angle(r, surface),
                    Chart::Norm => margin::draw_norm(r, surface),
                    _ => margin::draw_margin(r, surface),
                }
            }
        }
        Chart::Matrices | Chart::Singular | Chart::Error | Chart::Rank | Chart::Nuclear => {
            if let Some(r) = &run.matrix {
                match chart {
                    Chart::Matrices => matrix::draw_matrices(r, surface),
                    Chart::Singular => matrix::draw_singular(r, surface),
                    Chart::Error => matrix::draw_error(r, surface),
                    Chart::Rank => matrix::draw_rank(r, surface),
                    _ => matrix::draw_nuclear(r, surface),
                }
            }
        }
    }
}
