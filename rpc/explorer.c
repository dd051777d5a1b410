/* The built-in block explorer's files (see explorer.h). */
#include "rpc/explorer.h"

#include <string.h>

bool explorer_is_path(const char *path)
{
    return strncmp(path, EXPLORER_PREFIX, strlen(EXPLORER_PREFIX)) == 0 ||
           strcmp(path, "/explorer") == 0;
}

static void set_text(struct explorer_reply *out, int status, const char *text)
{
    out->status = status;
    out->content_type = "text/plain";
    out->body = (const unsigned char *)text;
    out->len = strlen(text);
}

static bool name_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '.' || c == '_' || c == '-';
}

void explorer_handle(const char *path, const char *query, struct explorer_reply *out)
{
    memset(out, 0, sizeof *out);
    size_t plen = strlen(path);
    if (plen > EXPLORER_MAX_PATH) {
        set_text(out, 400, "Path too long\n");
        return;
    }
    if (query) {
        /* The pages route in the #fragment, which browsers never send. */
        set_text(out, 400, "The explorer takes no query string\n");
        return;
    }
    if (strcmp(path, "/explorer") == 0) {
        set_text(out, 301, "Moved to /explorer/\n");
        out->location = EXPLORER_PREFIX;
        return;
    }
    if (!explorer_is_path(path)) {
        set_text(out, 404, "Not found\n");
        return;
    }
    const char *name = path + strlen(EXPLORER_PREFIX);
    for (const char *p = name; *p; p++) {
        if (!name_char(*p)) {
            /* '/', '%'-escapes and everything else no file name has. */
            set_text(out, 400, "Invalid path\n");
            return;
        }
    }
    if (name[0] == '.') {
        set_text(out, 400, "Invalid path\n");
        return;
    }
    if (name[0] == '\0')
        name = "index.html";
    for (size_t i = 0; i < explorer_n_files; i++) {
        if (strcmp(explorer_files[i].name, name) == 0) {
            out->status = 200;
            out->content_type = explorer_files[i].content_type;
            out->body = explorer_files[i].data;
            out->len = explorer_files[i].len;
            return;
        }
    }
    set_text(out, 404, "Not found\n");
}
