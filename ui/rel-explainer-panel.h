/* rel-explainer-panel.h — the method drop-down and the parameter rows of the
 * current explainer, generated from the core's method table.
 *
 * Every RelParamSpec becomes one row: a slider with a spin button for numbers
 * (logarithmic when the spec asks for it, when its range spans three decades
 * or more, or when the default lies in the bottom 5 % of a non-negative range;
 * a zero minimum keeps the slider's left end), a switch for booleans, a drop-down for choices, and a text
 * row for strings — except `baseline` (a picker writing the baseline spec the
 * gradient methods parse) and `layer` (a drop-down of the model's Conv nodes).
 * Values are remembered per method while the panel lives.
 *
 * Signals:
 *   params-changed (gpointer params): a fresh RelParams* of the current method,
 *     owned by the panel and freed after the emission (rel_params_copy() to
 *     keep it). Slider and spin changes are debounced (DEBOUNCE_MS after the
 *     last one; at once when the pointer is released); switches, drop-downs,
 *     applied text, method switches and resets emit at once.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-explain.h"

G_BEGIN_DECLS

#define REL_EXPLAINER_PANEL_DEBOUNCE_MS 60

#define REL_TYPE_EXPLAINER_PANEL (rel_explainer_panel_get_type ())
G_DECLARE_FINAL_TYPE (RelExplainerPanel, rel_explainer_panel, REL, EXPLAINER_PANEL, GtkBox)

GtkWidget          *rel_explainer_panel_new        (void);

/* The model whose Conv nodes the `layer` drop-down offers (a reference is
 * kept); NULL offers only the automatic choice. */
void                rel_explainer_panel_set_model  (RelExplainerPanel *self, RelModel *model);
/* The folder of images open beside the panel (NULL for none): the baseline
 * picker's "Dataset mean" takes it without asking. */
void                rel_explainer_panel_set_image_folder (RelExplainerPanel *self, const char *folder);

/* Selects a method by name ("method" property); FALSE if the table has no
 * such method. Emits params-changed when the method changes. */
gboolean            rel_explainer_panel_set_method (RelExplainerPanel *self, const char *name);
const RelMethodDef *rel_explainer_panel_get_method (RelExplainerPanel *self);

/* A copy of the current method's values (free with rel_params_free). */
RelParams          *rel_explainer_panel_get_params (RelExplainerPanel *self);

/* Sets one parameter of the current method from its text form as --set takes
 * it; numbers outside the spec's range are clamped. Updates the row and emits
 * params-changed (debounced like a slider). FALSE with an error otherwise. */
gboolean            rel_explainer_panel_set_param  (RelExplainerPanel *self, const char *key,
                                                    const char *value, GError **error);

/* Back to the spec defaults for the current method; emits params-changed. */
void                rel_explainer_panel_reset      (RelExplainerPanel *self);

/* Emits a pending debounced params-changed now; TRUE if one was pending. */
gboolean            rel_explainer_panel_flush      (RelExplainerPanel *self);

/* The readout under the parameters. @elapsed_ms < 0 reads "Computing…";
 * @fraction in [0, 1) shows a progress bar (sampling methods), otherwise it is
 * hidden; @conservation_text (may be NULL) follows the time, e.g. the result of
 * rel_explainer_format_conservation(). */
void                rel_explainer_panel_set_status (RelExplainerPanel *self, double elapsed_ms,
                                                    double fraction, const char *conservation_text);
/* Hides the readout. */
void                rel_explainer_panel_clear_status (RelExplainerPanel *self);
/* The readout's current text (for tests and accessibility). */
const char         *rel_explainer_panel_get_status_text (RelExplainerPanel *self);

/* "conservation 0.998 (Σ R = 1.23 / f(x) = 1.23)" for a relevance sum and the
 * explained output (g_free). */
char               *rel_explainer_format_conservation (double relevance_sum, double explained);

/* The row built for parameter @key of the current method, or NULL. Its
 * controls are reachable with g_object_get_data (row, …): "rel-scale"
 * (GtkScale), "rel-spin" (GtkSpinButton), "rel-switch" (GtkSwitch), "rel-combo"
 * (the AdwComboRow itself for choices, layers and baselines), "rel-entry"
 * (AdwEntryRow). Every parameter row carries "rel-param" = the spec's name. */
GtkWidget          *rel_explainer_panel_get_row    (RelExplainerPanel *self, const char *key);
/* The method drop-down (an AdwComboRow over rel_methods() in table order). */
GtkWidget          *rel_explainer_panel_get_method_row (RelExplainerPanel *self);

G_END_DECLS
