/* rel-window-private.h — what the window's files share: the instance
 * struct and the functions one part calls in another. The window itself is
 * rel-window.c; the Compare page, the actions and the heatmap's look (toolbar,
 * settings, preferences) are rel-window-compare.c, rel-window-actions.c and
 * rel-window-preferences.c, as GNOME Text Editor splits its window.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-window.h"

#include "rel-colorbar.h"
#include "rel-concepts-panel.h"
#include "rel-core.h"
#include "rel-evaluate-page.h"
#include "rel-job.h"

G_BEGIN_DECLS

typedef struct {
  RelWindow      *window;   /* not owned */
  GtkWidget      *widget;   /* the cell's box, owned by the grid */
  RelHeatmapView *view;
  GtkLabel       *title;
  GtkLabel       *subtitle;
  char           *method;
  RelImageItem   *item;     /* images × one method; NULL for methods × image */
  gboolean        done;
  gboolean        failed;
  double          reference; /* what the map adds up to when fixed by the params (1 for
                              * LRP from 1.0); NAN: the explained output */
} CompareCell;

struct _RelWindow
{
  AdwApplicationWindow parent_instance;

  GSettings    *settings;
  RelModel     *model;
  char         *model_name;
  RelJob       *load_job;
  char         *load_path;
  gboolean      loading;
  char         *error_message;   /* the last error shown, for tests */
  char         *pending_images;  /* a folder or image to open once a model is there */

  /* The selected image: decoded and predicted on a job. */
  RelJob       *input_job;
  RelTensor    *input;
  RelTensor    *logits;
  char         *input_path;
  char         *explained_path;   /* the image the target was last chosen for */

  RelWorkspace *workspace;       /* what the pages follow */
  RelExplainer *explainer;
  guint64       main_generation;
  gboolean      main_final;      /* the Explore view's explanation is complete */
  RelTensor    *relevance;       /* the map on the canvas (latest estimate) */
  double        forward_ms;      /* one forward pass of the current input, measured */
  guint         n_updates;
  double        conservation_sum, conservation_out;

  /* Compare grid. */
  GPtrArray    *cells;           /* CompareCell*, grid order */
  GPtrArray    *compare_methods; /* method names (char*) */
  gboolean      compare_dirty;
  guint64       compare_generation;
  CompareCell  *compare_running;

  /* Template children. */
  AdwToastOverlay    *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar *switcher_bar;
  guint               switcher_bar_idle;
  GtkStack           *stack;
  AdwViewStack       *view_stack;
  GtkSpinner         *spinner;
  GtkLabel           *model_label;
  GtkMenuButton      *export_button;
  GMenuModel         *explore_export_menu;
  GMenuModel         *compare_export_menu;
  RelExportDialog    *export_dialog;   /* while one is open */
  RelImageBrowser    *browser;
  AdwFlap            *browser_flap;
  AdwFlap            *side_flap;
  GtkWidget          *browser_toggle;
  GtkWidget          *side_toggle;
  RelStrategiesView  *strategies;
  RelInspectPage     *inspect;
  RelEvaluatePage    *evaluate;
  gboolean            evaluate_seeded; /* Compare's methods ticked on the first visit */
  GtkStack           *view_page_stack;
  RelHeatmapView     *heatmap_view;
  RelColorbar        *colorbar;
  RelPredictionPanel *prediction_panel;
  RelConceptsPanel   *concepts_panel;
  GtkLabel           *target_chip;
  RelExplainerPanel  *explainer_panel;
  GtkToggleButton    *mode_image;
  GtkToggleButton    *mode_heatmap;
  GtkToggleButton    *mode_overlay;
  GtkAdjustment      *opacity_adjustment;
  GtkWidget          *opacity_scale;
  GtkDropDown        *colormap_dropdown;
  GtkDropDown        *sign_dropdown;
  GtkDropDown        *norm_dropdown;
  GtkButton          *zoom_in_button;
  GtkButton          *zoom_out_button;
  GtkButton          *zoom_fit_button;
  GtkToggleButton    *compare_methods_toggle;
  GtkToggleButton    *compare_images_toggle;
  GtkMenuButton      *compare_methods_button;
  GtkToggleButton    *shared_toggle;
  GtkLabel           *compare_status;
  GtkFlowBox         *compare_grid;
  GtkScrolledWindow  *compare_scroller;
  int                 compare_cell;    /* the cells' heatmap side now */
  int                 compare_columns;
  guint               compare_fit_id;  /* idle that applies compare_cell */
  GMenu              *recent_section;
};

/* rel-window.c */
/* A toast "Could not open …" for @path; Details shows @message. */
void     rel_window_show_error            (RelWindow *self, const char *path, const char *message);
/* A toast with @heading; its Details button shows @message. */
void     rel_window_show_error_heading    (RelWindow *self, const char *heading, const char *message);

/* rel-window-export.c: the Export button, its dialog and what each page exports. */
void     rel_window_export_class_init     (GtkWidgetClass *widget_class);
void     rel_window_export_init           (RelWindow *self);
/* The Export button offers the shown page's exports, once it has something. */
void     rel_window_update_export_menu    (RelWindow *self);

/* rel-window-compare.c: the Compare page (its widgets are in rel-window.ui). */
void     rel_window_compare_init          (RelWindow *self);
gboolean rel_window_compare_is_shown      (RelWindow *self);
/* The image, method or target changed: the grid is rebuilt when next shown. */
void     rel_window_compare_invalidate    (RelWindow *self);
/* The page became visible / another page did. */
void     rel_window_compare_shown         (RelWindow *self);
void     rel_window_compare_hidden        (RelWindow *self);
void     rel_window_compare_clear         (RelWindow *self);

/* rel-window-preferences.c: the heatmap's look in the toolbar, the settings
 * and the Preferences window. */
void     rel_window_look_init             (RelWindow *self);
/* The stored look (or the toolbar's defaults without settings), then follows the settings. */
void     rel_window_look_load             (RelWindow *self);

/* rel-window-actions.c: the win.* actions and their shortcuts. */
void     rel_window_actions_class_init    (GtkWidgetClass *widget_class);

G_END_DECLS
