/* Loading a Market model from the chain's state for serving (see serve.h). */
#include "rpc/serve.h"

#include "state/market.h"
#include "state/view.h"

#include <stdio.h>
#include <string.h>

static bool load_node(struct view *v, struct serve_model *m, const uint8_t id[HASH_SIZE],
                      unsigned depth, size_t *idx, char *err, size_t errlen)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        if (memcmp(m->nodes[i].id, id, HASH_SIZE) == 0) {
            *idx = i;
            return true;
        }
    }
    if (depth > MARKET_MAX_DEPTH) {
        snprintf(err, errlen, "The model is nested deeper than %d", MARKET_MAX_DEPTH);
        return false;
    }
    struct market_model rec;
    if (!market_get_model(v, id, &rec)) {
        char hex[2 * HASH_SIZE + 1];
        hash_to_hex(id, hex);
        if (view_failed(v))
            snprintf(err, errlen, "State read error");
        else
            snprintf(err, errlen, "Unknown model %s", hex);
        return false;
    }
    if (rec.source != MARKET_SOURCE_COMPOSITE) {
        const uint8_t *w;
        size_t len;
        struct fl_spec spec;
        if (!market_get_spec(v, &rec, &spec)) {
            snprintf(err, errlen, "The model's spec is not in the state");
            return false;
        }
        if (!market_get_weights(v, &rec, &w, &len) || len % 4) {
            snprintf(err, errlen, "The model's weights are not in the state");
            return false;
        }
        return serve_add_leaf(m, id, &spec, w, len / 4, idx, err, errlen);
    }
    size_t children[MARKET_MAX_COMPONENTS];
    const uint8_t mode = rec.mode, k = rec.n_components;
    uint8_t comps[MARKET_MAX_COMPONENTS][MARKET_MODEL_ID_SIZE];
    if (k > MARKET_MAX_COMPONENTS) {
        snprintf(err, errlen, "The model's record is malformed");
        return false;
    }
    memcpy(comps, rec.components, sizeof(comps));
    for (uint8_t i = 0; i < k; i++)
        if (!load_node(v, m, comps[i], depth + 1, &children[i], err, errlen))
            return false;
    return serve_add_composite(m, id, mode, children, k, idx, err, errlen);
}

bool serve_load(struct view *v, const uint8_t id[MARKET_MODEL_ID_SIZE], struct serve_model **out,
                char *err, size_t errlen)
{
    size_t idx;
    struct serve_model *m = serve_model_new();
    *out = NULL;
    if (!m) {
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    if (!load_node(v, m, id, 0, &idx, err, errlen) || !serve_set_root(m, idx, err, errlen)) {
        serve_model_free(m);
        return false;
    }
    *out = m;
    return true;
}

