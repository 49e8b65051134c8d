//! `/api/figures`: the dashboard as JSON, and each chart as SVG or CSV.

use super::extract::{Json, Path, Query};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::error::Error;
use crate::figures::{self, Chart, Figures, FiguresQuery, csv, svg};
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard)).routes(routes!(chart))
}

/// The figures over the cases the caller may see (steering and admin: all, aggregated).
#[utoipa::path(get, path = "/api/figures", tag = "figures", params(FiguresQuery),
    responses((status = 200, body = Figures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dashboard(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<FiguresQuery>,
) -> ApiResult<Json<Figures>> {
    Ok(Json(figures::for_user(&cx, &user, &query, "json").await?))
}

/// One chart: `on-time`, `escalation-age`, `decision-time` or `warnings`, as `.svg` (an
/// accessible image) or `.csv` (a download), e.g. `/api/figures/on-time.svg?lang=en`.
#[utoipa::path(get, path = "/api/figures/{file}", tag = "figures",
    params(("file" = String, Path, description = "`<chart>.svg` or `<chart>.csv`"), FiguresQuery),
    responses((status = 200, description = "The chart as an image or as a table",
            content((String = "image/svg+xml"), (String = "text/csv"))),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn chart(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(file): Path<String>,
    Query(query): Query<FiguresQuery>,
) -> ApiResult<Response> {
    let (name, format) = file.rsplit_once('.').ok_or(Error::NotFound)?;
    let chart = Chart::from_slug(name).ok_or(Error::NotFound)?;
    if !matches!(format, "svg" | "csv") {
        return Err(Error::NotFound.into());
    }
    let lang = query.lang.unwrap_or_default();
    let figures = figures::for_user(&cx, &user, &query, &file).await?;
    Ok(match format {
        "svg" => {
            ([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8".to_owned())], svg::render(chart, &figures, lang))
                .into_response()
        }
        _ => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"ketentafel-{}-{}.csv\"", chart.slug(), figures.to),
                ),
            ],
            csv::render(chart, &figures, lang),
        )
            .into_response(),
    })
}
