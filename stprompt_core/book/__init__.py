"""The notebooks and the book: parameters, execution, generated pages, the build.

- :mod:`.parameters`: the notebooks' one parameter table and the check each notebook runs
  (``cfg, run_dir = notebook_config(globals(), "NN_name")``);
- :mod:`.sources`: where the notebooks (text, paired ``.ipynb``) and pages live in a clone;
- :mod:`.execute`: papermill in this interpreter's kernel;
- :mod:`.pages`: benchmark results rendered as markdown at build time;
- :mod:`.build`: ``stprompt book`` (stage, execute, ``jupyter-book build -W -n``).
"""

from stprompt_core.book.build import VENDOR_DIR, VENDOR_FILES, build_book, jupyter_book_build, stage_book, vendor_js
from stprompt_core.book.execute import (KERNEL_NAME, ensure_kernel, execute_notebook, execute_notebooks,
                                        kernel_manager_config, strip_cdn_scripts)
from stprompt_core.book.pages import (ablation_markdown, findings_markdown, localize_windows_markdown,
                                      performance_markdown, workshop_markdown)
from stprompt_core.book.parameters import (NOTEBOOK_USES, NOTEBOOKS, PARAMETERS, NotebookParameter,
                                           check_book_parameters, check_parameters, declared_parameters,
                                           notebook_config, parameters_cell, parameters_for, parameters_markdown,
                                           setup_cell)
from stprompt_core.book.sources import NOTEBOOK_DIR, REPO_ROOT, CheckoutError, require_checkout

__all__ = ["CheckoutError", "KERNEL_NAME", "NOTEBOOKS", "NOTEBOOK_DIR", "NOTEBOOK_USES", "NotebookParameter",
           "PARAMETERS", "REPO_ROOT", "VENDOR_DIR", "VENDOR_FILES", "ablation_markdown", "build_book",
           "check_book_parameters", "check_parameters", "declared_parameters", "ensure_kernel",
           "execute_notebook", "execute_notebooks", "findings_markdown", "jupyter_book_build",
           "kernel_manager_config", "localize_windows_markdown", "notebook_config", "parameters_cell",
           "parameters_for", "parameters_markdown", "performance_markdown", "require_checkout", "setup_cell",
           "stage_book", "strip_cdn_scripts", "vendor_js", "workshop_markdown"]
