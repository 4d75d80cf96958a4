"""Test-only CKAN plugin for running CKAN 2.11/2.12 without Apache Solr.

Everything else (PostgreSQL, Redis, auth, API tokens, validation, file
uploads, activity stream) is stock CKAN. Two things change:

1. The dataset search index is CKAN's own no-op index (NoopSearchIndex),
   so package_create/update/patch/delete and resource_* no longer try to
   push documents to Solr (which fails the whole write without Solr).
2. organization_show / group_show default to include_dataset_count=False
   and include_groups=False, because both of those are computed by a Solr
   query; organization_create/group_create return through these actions.

package_search (and any page that lists/counts datasets) still needs Solr
and answers HTTP 500 "Search Connection Error". Never enable this in
production.
"""

import logging

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib import search

log = logging.getLogger(__name__)


def _no_solr_counts(data_dict):
    data_dict = dict(data_dict or {})
    data_dict.setdefault("include_dataset_count", False)
    data_dict.setdefault("include_groups", False)
    return data_dict


@tk.chained_action
@tk.side_effect_free  # keep GET /api/3/action/organization_show?id=... working
def organization_show(up_func, context, data_dict):
    return up_func(context, _no_solr_counts(data_dict))


@tk.chained_action
@tk.side_effect_free  # keep GET /api/3/action/group_show?id=... working
def group_show(up_func, context, data_dict):
    return up_func(context, _no_solr_counts(data_dict))


class NoSolrPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurable)
    p.implements(p.IActions)

    def configure(self, config):
        # ckan.lib.search.index_for('package') builds its index from this
        # registry; CKAN's NoopSearchIndex accepts and ignores documents.
        search._INDICES["package"] = search.NoopSearchIndex
        log.warning("ci_nosolr: Solr indexing disabled (test-only plugin)")

    def get_actions(self):
        return {"organization_show": organization_show, "group_show": group_show}
