/* Unit tests of option parsing (util/config) and the file helpers
 * (util/fs). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/config.h"
#include "util/fs.h"

static char tmpdir[64];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/fml-test-config-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Writes a file under tmpdir and returns its path (static buffer). */
static const char *write_file_len(const char *name, const char *text, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    ck_assert(fs_write_atomic(path, text, len, 0644));
    return path;
}

static const char *write_file(const char *name, const char *text)
{
    return write_file_len(name, text, strlen(text));
}

static struct config *parse(int argc, char *const argv[], int *first)
{
    struct config *cfg = config_new();
    char err[256] = "";
    ck_assert_msg(config_parse_args(cfg, argc, argv, first, err, sizeof err), "%s", err);
    return cfg;
}

START_TEST(test_args)
{
    char *argv[] = {"prog", "-a=1", "--b=two", "-flag", "-nodebug", "-e=", "-x=1=2",
                    "-nofoo=0", "getblock", "-notanoption", NULL};
    int first = 0;
    struct config *cfg = parse(10, argv, &first);
    ck_assert_int_eq(first, 8);
    ck_assert_str_eq(config_get(cfg, "a", "d"), "1");
    ck_assert_str_eq(config_get(cfg, "-a", "d"), "1");
    ck_assert_str_eq(config_get(cfg, "b", "d"), "two");
    ck_assert_str_eq(config_get(cfg, "flag", "d"), "1");
    ck_assert(config_get_bool(cfg, "flag", false));
    ck_assert_str_eq(config_get(cfg, "debug", "d"), "0");
    ck_assert(config_is_set(cfg, "debug"));
    ck_assert(!config_get_bool(cfg, "debug", true));
    ck_assert_str_eq(config_get(cfg, "e", "d"), "");
    ck_assert(config_get_bool(cfg, "e", false));
    ck_assert_str_eq(config_get(cfg, "x", "d"), "1=2");
    ck_assert(config_get_bool(cfg, "foo", false)); /* -nofoo=0 */
    ck_assert_str_eq(config_get(cfg, "missing", "dflt"), "dflt");
    ck_assert_ptr_null(config_get(cfg, "missing", NULL));
    ck_assert(!config_is_set(cfg, "missing"));
    ck_assert(!config_is_set(cfg, "notanoption"));
    config_free(cfg);

    /* The last command-line value wins; "--" ends the options. */
    char *argv2[] = {"prog", "-p=1", "-p=2", "--", "-method", NULL};
    cfg = parse(5, argv2, &first);
    ck_assert_int_eq(first, 4);
    ck_assert_str_eq(config_get(cfg, "p", NULL), "2");
    config_free(cfg);

    /* No non-option argument at all. */
    char *argv3[] = {"prog", "-p", NULL};
    cfg = parse(2, argv3, &first);
    ck_assert_int_eq(first, 2);
    config_free(cfg);
}
END_TEST

START_TEST(test_bad_args)
{
    const char *bad[] = {"-=1", "-nox=maybe", "--", "-a b=1", "-.x=1", "-sec.=1", "---x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (strcmp(bad[i], "--") == 0)
            continue;
        char *argv[] = {"prog", (char *)bad[i], NULL};
        struct config *cfg = config_new();
        char err[256] = "";
        int first;
        ck_assert_msg(!config_parse_args(cfg, 2, argv, &first, err, sizeof err), "accepted %s",
                      bad[i]);
        ck_assert_msg(strstr(err, "Invalid parameter") != NULL, "message: %s", err);
        config_free(cfg);
    }
}
END_TEST

START_TEST(test_file_sections)
{
    const char *path = write_file("fml.conf",
                                  "# a comment\n"
                                  "rpcport=1000   # trailing comment\n"
                                  "  rpcuser = alice  \n"
                                  "addnode=top1\n"
                                  "addnode=top2\n"
                                  "server=1\n"
                                  "regtest.rpcpassword=dotted\n"
                                  "\n"
                                  "[regtest]\n"
                                  "rpcport=2000\n"
                                  "rpcport=2001\n"
                                  "addnode=reg1\n"
                                  "noserver=1\n"
                                  "[test]\n"
                                  "rpcport=3000\r\n"
                                  "[mynet]\n"
                                  "rpcport=4000\n");
    char *argv[] = {"prog", "-rpcuser=bob", "-test.rpcuser=carol", NULL};
    int first;
    struct config *cfg = parse(3, argv, &first);
    char err[256] = "";
    ck_assert_msg(config_read_file(cfg, path, "main", err, sizeof err), "%s", err);
    ck_assert_str_eq(config_get(cfg, "rpcport", NULL), "1000");
    ck_assert_str_eq(config_get(cfg, "rpcuser", NULL), "bob"); /* command line wins */
    ck_assert(config_get_bool(cfg, "server", false));
    ck_assert_ptr_null(config_get(cfg, "rpcpassword", NULL));
    size_t n;
    const char **list = config_get_multi(cfg, "addnode", &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(list[0], "top1");
    ck_assert_str_eq(list[1], "top2");
    ck_assert_ptr_null(list[2]);
    free(list);

    /* The regtest section overrides the top; its first value wins. */
    ck_assert(config_set_section(cfg, "regtest"));
    ck_assert_str_eq(config_get(cfg, "rpcport", NULL), "2000");
    ck_assert(!config_get_bool(cfg, "server", true));
    ck_assert_str_eq(config_get(cfg, "rpcpassword", NULL), "dotted");
    list = config_get_multi(cfg, "addnode", &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0], "reg1");
    ck_assert_str_eq(list[1], "top1");
    ck_assert_str_eq(list[2], "top2");
    free(list);

    ck_assert(config_set_section(cfg, "test"));
    ck_assert_str_eq(config_get(cfg, "rpcport", NULL), "3000");
    ck_assert_str_eq(config_get(cfg, "rpcuser", NULL), "carol"); /* -test.rpcuser */
    ck_assert(config_set_section(cfg, "mynet"));
    ck_assert_str_eq(config_get(cfg, "rpcport", NULL), "4000");
    int64_t port;
    ck_assert(config_get_int(cfg, "rpcport", 1, 1, 65535, &port, err, sizeof err));
    ck_assert_int_eq(port, 4000);
    config_free(cfg);
}
END_TEST

START_TEST(test_lists_and_negation)
{
    const char *path = write_file("fml.conf", "addnode=f1\naddnode=f2\nconnect=c1\n");
    char *argv[] = {"prog", "-addnode=a1", "-addnode=a2", "-noconnect", NULL};
    int first;
    struct config *cfg = parse(4, argv, &first);
    char err[256] = "";
    ck_assert(config_read_file(cfg, path, NULL, err, sizeof err));
    size_t n;
    const char **list = config_get_multi(cfg, "addnode", &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(list[0], "a1");
    ck_assert_str_eq(list[1], "a2");
    ck_assert_str_eq(list[2], "f1");
    ck_assert_str_eq(list[3], "f2");
    free(list);
    /* A negation on the command line drops the file's values. */
    list = config_get_multi(cfg, "connect", &n);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(list[0]);
    free(list);
    ck_assert_str_eq(config_get(cfg, "connect", NULL), "0");
    config_free(cfg);

    /* Values after a negation are kept. */
    char *argv2[] = {"prog", "-rpcallowip=1.2.3.4", "-norpcallowip", "-rpcallowip=10.0.0.0/8", NULL};
    cfg = parse(4, argv2, &first);
    list = config_get_multi(cfg, "rpcallowip", &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(list[0], "10.0.0.0/8");
    free(list);
    config_free(cfg);
}
END_TEST

static void expect_file_error_len(const char *text, size_t len, const char *needle)
{
    const char *path = write_file_len("bad.conf", text, len);
    struct config *cfg = config_new();
    char err[512] = "";
    ck_assert_msg(!config_read_file(cfg, path, NULL, err, sizeof err), "accepted %s", text);
    ck_assert_msg(strstr(err, path) != NULL, "error lacks the file: %s", err);
    ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
    config_free(cfg);
}

static void expect_file_error(const char *text, const char *needle)
{
    expect_file_error_len(text, strlen(text), needle);
}

START_TEST(test_bad_lines)
{
    expect_file_error("a=1\nnoequals\n", "line 2: parse error: noequals");
    expect_file_error("nofoo\n", "use nofoo=1 instead");
    expect_file_error("a=1\n\n-rpcport=1\n", "line 3: parse error: -rpcport=1, options in configuration file must be specified without leading hyphen");
    expect_file_error("rpcpassword=abc#def\n", "line 1: parse error: using # in rpcpassword");
    expect_file_error("[bad section]\n", "line 1: invalid section");
    expect_file_error("conf=/etc/other.conf\n", "line 1: conf cannot be set");
    expect_file_error("[regtest]\nmain.rpcport=1\n", "line 2:");
    expect_file_error("=5\n", "line 1:");
    expect_file_error("nox=maybe\n", "line 1:");
    expect_file_error_len("a=1\0b=2\n", 8, "NUL");
}
END_TEST

START_TEST(test_missing_file)
{
    char path[256];
    snprintf(path, sizeof path, "%s/nonexistent.conf", tmpdir);
    char err[256] = "";
    /* The default file may be absent. */
    struct config *cfg = config_new();
    ck_assert(config_read_file(cfg, path, "main", err, sizeof err));
    config_free(cfg);
    /* A file named with -conf must exist. */
    char arg[300];
    snprintf(arg, sizeof arg, "-conf=%s", path);
    char *argv[] = {"prog", arg, NULL};
    int first;
    cfg = parse(2, argv, &first);
    ck_assert(!config_read_file(cfg, path, "main", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, path));
    config_free(cfg);
}
END_TEST

START_TEST(test_ints)
{
    char *argv[] = {"prog", "-n=42", "-neg=-7", "-big=99999999999999999999", "-word=abc",
                    "-empty=", "-space= 5", "-trail=5x", "-flag", NULL};
    int first;
    struct config *cfg = parse(9, argv, &first);
    char err[256] = "";
    int64_t v = 0;
    ck_assert(config_get_int(cfg, "n", 0, 0, 100, &v, err, sizeof err));
    ck_assert_int_eq(v, 42);
    ck_assert(config_get_int(cfg, "neg", 0, -10, 10, &v, err, sizeof err));
    ck_assert_int_eq(v, -7);
    ck_assert(config_get_int(cfg, "unset", 17, 0, 100, &v, err, sizeof err));
    ck_assert_int_eq(v, 17);
    ck_assert(config_get_int(cfg, "flag", 0, 0, 100, &v, err, sizeof err));
    ck_assert_int_eq(v, 1);
    ck_assert(!config_get_int(cfg, "n", 0, 0, 41, &v, err, sizeof err));
    ck_assert_str_eq(err, "Invalid value for -n: '42' (expected an integer from 0 to 41)");
    ck_assert(!config_get_int(cfg, "neg", 0, 0, 10, &v, err, sizeof err));
    const char *bad[] = {"big", "word", "empty", "space", "trail"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 123;
        ck_assert_msg(!config_get_int(cfg, bad[i], 0, INT64_MIN, INT64_MAX, &v, err, sizeof err),
                      "accepted %s", bad[i]);
        ck_assert_int_eq(v, 123);
        ck_assert_ptr_nonnull(strstr(err, bad[i]));
    }
    config_free(cfg);

    /* From a file, the error names the file and line. */
    const char *path = write_file("fml.conf", "\nrpcthreads=0\n");
    cfg = config_new();
    ck_assert(config_read_file(cfg, path, NULL, err, sizeof err));
    ck_assert(!config_get_int(cfg, "rpcthreads", 4, 1, 64, &v, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "line 2"));
    ck_assert_ptr_nonnull(strstr(err, path));
    config_free(cfg);
}
END_TEST

START_TEST(test_bools)
{
    char *argv[] = {"prog", "-a=0", "-b=false", "-c=no", "-d=1", "-e=true", "-f=yes",
                    "-g=5", "-h=junk", NULL};
    int first;
    struct config *cfg = parse(9, argv, &first);
    ck_assert(!config_get_bool(cfg, "a", true));
    ck_assert(!config_get_bool(cfg, "b", true));
    ck_assert(!config_get_bool(cfg, "c", true));
    ck_assert(config_get_bool(cfg, "d", false));
    ck_assert(config_get_bool(cfg, "e", false));
    ck_assert(config_get_bool(cfg, "f", false));
    ck_assert(config_get_bool(cfg, "g", false));
    ck_assert(!config_get_bool(cfg, "h", true));
    ck_assert(config_get_bool(cfg, "unset", true));
    ck_assert(!config_get_bool(cfg, "unset", false));
    config_free(cfg);
}
END_TEST

START_TEST(test_chain)
{
    char out[32], err[256];
    struct {
        int argc;
        char *argv[4];
        const char *chain; /* NULL: error */
    } cases[] = {
        {1, {"prog"}, "main"},
        {2, {"prog", "-regtest"}, "regtest"},
        {2, {"prog", "-testnet"}, "test"},
        {2, {"prog", "-testnet=0"}, "main"},
        {2, {"prog", "-chain=regtest"}, "regtest"},
        {2, {"prog", "-chain=hospitals"}, "hospitals"},
        {3, {"prog", "-regtest", "-testnet"}, NULL},
        {3, {"prog", "-regtest", "-chain=test"}, NULL},
        {2, {"prog", "-chain=a/b"}, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int first;
        struct config *cfg = parse(cases[i].argc, cases[i].argv, &first);
        bool ok = config_get_chain(cfg, out, sizeof out, err, sizeof err);
        if (cases[i].chain) {
            ck_assert_msg(ok, "case %zu: %s", i, err);
            ck_assert_str_eq(out, cases[i].chain);
        } else {
            ck_assert_msg(!ok, "case %zu accepted", i);
        }
        config_free(cfg);
    }
    /* regtest=1 in the file selects the network too. */
    const char *path = write_file("fml.conf", "regtest=1\n");
    struct config *cfg = config_new();
    ck_assert(config_read_file(cfg, path, NULL, err, sizeof err));
    ck_assert(config_get_chain(cfg, out, sizeof out, err, sizeof err));
    ck_assert_str_eq(out, "regtest");
    config_free(cfg);
}
END_TEST

START_TEST(test_check_args_and_conf_path)
{
    static const char *const known[] = {"datadir", "regtest", "conf", NULL};
    char *argv[] = {"prog", "-datadir=/x", "-regtest", NULL};
    int first;
    struct config *cfg = parse(3, argv, &first);
    char err[256];
    ck_assert(config_check_args(cfg, known, err, sizeof err));
    char *p = config_conf_path(cfg, "/x");
    ck_assert_str_eq(p, "/x/fml.conf");
    free(p);
    config_free(cfg);

    char *argv2[] = {"prog", "-datadir=/x", "-bogus=1", "-conf=other.conf", NULL};
    cfg = parse(4, argv2, &first);
    ck_assert(!config_check_args(cfg, known, err, sizeof err));
    ck_assert_str_eq(err, "Invalid parameter -bogus");
    p = config_conf_path(cfg, "/x");
    ck_assert_str_eq(p, "/x/other.conf");
    free(p);
    config_free(cfg);

    char *argv3[] = {"prog", "-conf=/etc/fml.conf", NULL};
    cfg = parse(2, argv3, &first);
    p = config_conf_path(cfg, "/x");
    ck_assert_str_eq(p, "/etc/fml.conf");
    free(p);
    config_free(cfg);
}
END_TEST

START_TEST(test_fs)
{
    char path[256];
    snprintf(path, sizeof path, "%s/a/b/c", tmpdir);
    ck_assert(fs_mkdir_p(path, 0700));
    ck_assert(fs_is_dir(path));
    ck_assert(fs_mkdir_p(path, 0700)); /* already there */

    char file[300];
    snprintf(file, sizeof file, "%s/secret", path);
    ck_assert(fs_write_atomic(file, "abc", 3, 0600));
    struct stat st;
    ck_assert_int_eq(stat(file, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert(fs_write_atomic(file, "hello", 5, 0600)); /* replaces */
    char *data;
    size_t len;
    ck_assert(fs_read_file(file, 100, &data, &len));
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(data, "hello");
    free(data);
    ck_assert(!fs_read_file(file, 4, &data, &len));
    ck_assert_int_eq(errno, EFBIG);
    ck_assert_ptr_null(data);
    ck_assert(!fs_mkdir_p(file, 0700)); /* a file is in the way */

    /* No temporary files are left behind. */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", path);
    ck_assert_int_eq(system(cmd), 0);

    snprintf(file, sizeof file, "%s/none/x", tmpdir);
    ck_assert(!fs_write_atomic(file, "x", 1, 0600));
    ck_assert(!fs_read_file(file, 10, &data, &len));
    ck_assert_int_eq(errno, ENOENT);

    char *j = fs_path_join("/a/", "b");
    ck_assert_str_eq(j, "/a/b");
    free(j);
    j = fs_path_join("/a", "/abs");
    ck_assert_str_eq(j, "/abs");
    free(j);
    j = fs_path_join("/", "x");
    ck_assert_str_eq(j, "/x");
    free(j);

    const char *home = getenv("HOME");
    char *saved = home ? strdup(home) : NULL;
    setenv("HOME", "/home/someone", 1);
    j = fs_default_datadir();
    ck_assert_str_eq(j, "/home/someone/.fml");
    free(j);
    if (saved) {
        setenv("HOME", saved, 1);
        free(saved);
    } else {
        unsetenv("HOME");
    }
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_bad_args);
    tcase_add_test(tc, test_file_sections);
    tcase_add_test(tc, test_lists_and_negation);
    tcase_add_test(tc, test_bad_lines);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_ints);
    tcase_add_test(tc, test_bools);
    tcase_add_test(tc, test_chain);
    tcase_add_test(tc, test_check_args_and_conf_path);
    tcase_add_test(tc, test_fs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
