/* digest._setchoice: the word model (digest/wordmodel.py) and the set choice (digest/setchoice.py)
 * in C, for speed. An optional extension: where it is not built, digest uses the Python modules,
 * which stay the reference. tests/test_native.py checks that both give the same summaries.
 *
 * It computes the same maths:
 *   analyse(sentences) -> (tokens, sizes, handle)
 *       Each sentence lowercased and cut into words as wordmodel.tokenize does (runs of letters
 *       and digits, plurals lightly stemmed), the article's distinct words and their counts, and
 *       every word's table E[min(c, R)], c = 0 .. MAX_COUNT, under the word model.
 *       ``tokens``: whitespace tokens holding a letter or digit; ``sizes``: words per sentence.
 *   choose(handle, k, unusable, first_fixed) -> (chosen, own)
 *       As setchoice.choose: each sentence's own worth, and the best-improvement swap search
 *       from the lede. Without the Python's pruning: in C every swap is cheap to value exactly.
 *   configure(bias, weights, max_count, ref_words_per_sentence, dangling, stop_words)
 *       The constants, passed in once by digest/setchoice.py so they live in one place.
 *
 * Floating-point sums are taken in another order than the Python's: values agree to ~1e-15
 * relative; choices differ only on exact ties, as the Python's own do between runs. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define N_WEIGHTS 36

static double g_bias;
static double g_weights[N_WEIGHTS];
static int g_top = -1; /* MAX_COUNT; -1 until configure() */
static double g_ref_per_sentence;
static double g_dangling;

/* The stop words: an open-addressing set of UCS-4 strings. */
typedef struct {
    Py_UCS4 *chars; /* NULL: an empty slot */
    Py_ssize_t len;
    uint64_t hash;
} StopWord;
static StopWord *g_stop = NULL;
static size_t g_stop_mask = 0;

static const int FIRST_BIN[13] = {0, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 6, 6}; /* 13+ -> 7 */
static const int TOTAL_BIN[7] = {0, 0, 1, 2, 3, 3, 4};                    /* 7+ -> 4 */

static inline uint64_t
hash_chars(const Py_UCS4 *s, Py_ssize_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < len; i++) {
        h ^= (uint64_t)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void
free_stop_words(void)
{
    if (g_stop != NULL) {
        for (size_t i = 0; i <= g_stop_mask; i++)
            PyMem_Free(g_stop[i].chars);
        PyMem_Free(g_stop);
        g_stop = NULL;
        g_stop_mask = 0;
    }
}

static int
is_stop_word(const Py_UCS4 *s, Py_ssize_t len, uint64_t h)
{
    if (g_stop == NULL)
        return 0;
    for (size_t i = (size_t)h & g_stop_mask;; i = (i + 1) & g_stop_mask) {
        StopWord *e = &g_stop[i];
        if (e->chars == NULL)
            return 0;
        if (e->hash == h && e->len == len && memcmp(e->chars, s, (size_t)len * sizeof(Py_UCS4)) == 0)
            return 1;
    }
}

/* The items of `arg` as a tuple. Python code runs while they are read (a float's __float__, a str
 * subclass's lower(), a flag's __bool__) and may empty a list the caller passed, and reading on
 * would then read freed memory. A tuple of our own cannot change under us. */
static PyObject *
items_of(PyObject *arg, const char *message)
{
    PyObject *seq = PySequence_Fast(arg, message);
    if (seq == NULL || PyTuple_CheckExact(seq))
        return seq;
    PyObject *tuple = PyList_AsTuple(seq);
    Py_DECREF(seq);
    return tuple;
}

static PyObject *
configure(PyObject *module, PyObject *args)
{
    double bias, ref, dangling;
    int top;
    PyObject *weights, *stop_words;
    if (!PyArg_ParseTuple(args, "dOiddO:configure", &bias, &weights, &top, &ref, &dangling, &stop_words))
        return NULL;
    if (top < 1 || top > 1000) {
        PyErr_SetString(PyExc_ValueError, "max_count must be between 1 and 1000");
        return NULL;
    }
    PyObject *fast = items_of(weights, "weights must be a sequence");
    if (fast == NULL)
        return NULL;
    if (PySequence_Fast_GET_SIZE(fast) != N_WEIGHTS) {
        Py_DECREF(fast);
        PyErr_Format(PyExc_ValueError, "expected %d weights", N_WEIGHTS);
        return NULL;
    }
    double w[N_WEIGHTS];
    for (int i = 0; i < N_WEIGHTS; i++) {
        w[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
        if (w[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(fast);
            return NULL;
        }
    }
    Py_DECREF(fast);

    PyObject *words = PySequence_List(stop_words);
    if (words == NULL)
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(words);
    size_t size = 16;
    while (size < (size_t)count * 2 + 2)
        size <<= 1;
    StopWord *table = PyMem_Calloc(size, sizeof(StopWord));
    if (table == NULL) {
        Py_DECREF(words);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t j = 0; j < count; j++) {
        PyObject *word = PyList_GET_ITEM(words, j);
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "stop words must be str");
            goto fail;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(word);
        Py_UCS4 *chars = PyUnicode_AsUCS4Copy(word);
        if (chars == NULL)
            goto fail;
        uint64_t h = hash_chars(chars, len);
        size_t i = (size_t)h & (size - 1);
        while (table[i].chars != NULL &&
               !(table[i].hash == h && table[i].len == len && memcmp(table[i].chars, chars, (size_t)len * sizeof(Py_UCS4)) == 0))
            i = (i + 1) & (size - 1);
        if (table[i].chars != NULL) { /* a repeat */
            PyMem_Free(chars);
            continue;
        }
        table[i].chars = chars;
        table[i].len = len;
        table[i].hash = h;
    }
    Py_DECREF(words);
    free_stop_words();
    g_stop = table;
    g_stop_mask = size - 1;
    g_bias = bias;
    memcpy(g_weights, w, sizeof w);
    g_top = top;
    g_ref_per_sentence = ref;
    g_dangling = dangling;
    Py_RETURN_NONE;

fail:
    for (size_t i = 0; i < size; i++)
        PyMem_Free(table[i].chars);
    PyMem_Free(table);
    Py_DECREF(words);
    return NULL;
}

/* An analysed article, kept in a capsule between analyse() and choose(). */
typedef struct {
    Py_ssize_t n;         /* sentences */
    Py_ssize_t nwords;    /* distinct words */
    Py_ssize_t *sizes;    /* [n] words per sentence */
    Py_ssize_t *bag_at;   /* [n + 1] where each sentence's distinct words start in bag_word */
    Py_ssize_t *bag_word; /* distinct words of each sentence, in order of first occurrence */
    Py_ssize_t *bag_count; /* how often the sentence holds each (an int could wrap on > 2**31) */
    double *tables;       /* [nwords * (top + 1)] E[min(c, R_w)] */
    int top;
} Analysis;

static const char *CAPSULE = "digest._setchoice.Analysis";

static void
analysis_free(Analysis *a)
{
    if (a == NULL)
        return;
    PyMem_Free(a->sizes);
    PyMem_Free(a->bag_at);
    PyMem_Free(a->bag_word);
    PyMem_Free(a->bag_count);
    PyMem_Free(a->tables);
    PyMem_Free(a);
}

static void
capsule_free(PyObject *capsule)
{
    analysis_free((Analysis *)PyCapsule_GetPointer(capsule, CAPSULE));
}

/* Light plural stemming of buf[start .. *end), as wordmodel.stem. */
static inline void
stem(Py_UCS4 *buf, Py_ssize_t start, Py_ssize_t *end)
{
    Py_ssize_t e = *end, len = e - start;
    if (len > 3 && buf[e - 1] == 's') {
        if (len > 4 && buf[e - 2] == 'e' && buf[e - 3] == 'i') {
            buf[e - 3] = 'y';
            *end = e - 2;
        }
        else if (!(buf[e - 2] == 's' || buf[e - 2] == 'u' || buf[e - 2] == 'i')) {
            *end = e - 1;
        }
    }
}

static int
word_flags(const Py_UCS4 *s, Py_ssize_t len, uint64_t h)
{
    int digits = 1;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (!Py_UNICODE_ISDIGIT(s[i])) {
            digits = 0;
            break;
        }
    }
    return (is_stop_word(s, len, h) ? 1 : 0) | (digits ? 2 : 0) | (len <= 2 ? 4 : 0);
}

/* E[min(c, R)] for c = 0 .. top, R ~ Poisson(mu), as wordmodel.expected_overlaps. */
static void
expected_overlaps(double mu, int top, double *out)
{
    double p = exp(-mu), below = 0.0, total = 0.0;
    out[0] = 0.0;
    for (int j = 1; j <= top; j++) {
        below += p;
        total += 1.0 - below;
        out[j] = total;
        p *= mu / j;
    }
}

/* The word's rate, as wordmodel.feature_row and _table_of (the same terms in the same order). */
static double
word_rate(Py_ssize_t n, Py_ssize_t first, Py_ssize_t total, Py_ssize_t lead, Py_ssize_t s0, Py_ssize_t df, int flags)
{
    const double *w = g_weights;
    int stop = flags & 1;
    double s = 0.0;
    s += w[(first < 13 ? FIRST_BIN[first] : 7) + 8 * stop] * 1.0;
    s += w[16 + (total < 7 ? TOTAL_BIN[total] : 4) + 5 * stop] * 1.0;
    s += w[26 + (lead < 3 ? lead : 3)] * 1.0;
    s += w[30] * ((double)df / (double)n);
    s += w[32] * log((double)n);
    if (flags & 2)
        s += w[31] * 1.0;
    if (stop)
        s += w[33] * 1.0;
    if (flags & 4)
        s += w[34] * 1.0;
    if (s0)
        s += w[35] * (double)(s0 < 3 ? s0 : 3);
    return g_bias + s;
}

static PyObject *
analyse(PyObject *module, PyObject *arg)
{
    if (g_top < 0) {
        PyErr_SetString(PyExc_RuntimeError, "digest._setchoice is not configured");
        return NULL;
    }
    PyObject *seq = items_of(arg, "sentences must be a sequence of str");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *result = NULL;
    PyObject **lowered = NULL;
    Py_UCS4 *buf = NULL;
    Py_ssize_t *occ = NULL, *occ_at = NULL, *slots = NULL, *word_start = NULL, *word_len = NULL;
    uint64_t *word_hash = NULL;
    Py_ssize_t *first = NULL, *total = NULL, *df = NULL, *lead = NULL, *s0 = NULL, *last = NULL, *pos = NULL;
    Analysis *a = NULL;
    Py_ssize_t tokens = 0, nwords = 0, nocc = 0, chars = 0, used = 0;
    int top = g_top;

    lowered = PyMem_Calloc(n ? n : 1, sizeof(PyObject *));
    a = PyMem_Calloc(1, sizeof(Analysis));
    if (lowered == NULL || a == NULL)
        goto nomemory;
    a->n = n;
    a->top = top;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(s)) {
            PyErr_Format(PyExc_TypeError, "sentences must be str, not %.100s", Py_TYPE(s)->tp_name);
            goto done;
        }
        lowered[i] = PyObject_CallMethod(s, "lower", NULL);
        if (lowered[i] == NULL)
            goto done;
        if (!PyUnicode_Check(lowered[i])) { /* a str subclass may return anything: not read as a str */
            PyErr_Format(PyExc_TypeError, "a sentence's lower() must return str, not %.100s",
                         Py_TYPE(lowered[i])->tp_name);
            goto done;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(lowered[i]);
        if (len > PY_SSIZE_T_MAX - chars) /* one string n times over, say: more than memory holds */
            goto nomemory;
        chars += len;
    }

    /* Words: copies of their characters in buf (each distinct word once), an id per word. */
    /* A sentence of `len` characters holds at most (len + 1) / 2 words (runs apart). Bounded so
     * that no size below overflows: the slot table alone would take more memory than exists. */
    size_t most = ((size_t)chars + (size_t)n) / 2 + 2;
    if (most > (size_t)PY_SSIZE_T_MAX / 32)
        goto nomemory;
    Py_ssize_t cap = (Py_ssize_t)most;
    size_t table_size = 16;
    while (table_size < (size_t)cap * 2)
        table_size <<= 1;
    buf = PyMem_Malloc(((size_t)chars + 1) * sizeof(Py_UCS4));
    occ = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    occ_at = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    slots = PyMem_Malloc(table_size * sizeof(Py_ssize_t));
    word_start = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    word_len = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    word_hash = PyMem_Malloc((size_t)cap * sizeof(uint64_t));
    a->sizes = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    if (!buf || !occ || !occ_at || !slots || !word_start || !word_len || !word_hash || !a->sizes)
        goto nomemory;
    memset(slots, 0xff, table_size * sizeof(Py_ssize_t)); /* -1: empty */
    size_t mask = table_size - 1;

    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = lowered[i];
        int kind = PyUnicode_KIND(s);
        const void *data = PyUnicode_DATA(s);
        Py_ssize_t len = PyUnicode_GET_LENGTH(s);
        int in_token = 0, token_has_word = 0;
        Py_ssize_t start = -1;
        occ_at[i] = nocc;
        for (Py_ssize_t j = 0; j <= len; j++) {
            Py_UCS4 ch = j < len ? PyUnicode_READ(kind, data, j) : ' ';
            int alnum = j < len && Py_UNICODE_ISALNUM(ch);
            if (alnum) {
                if (start < 0)
                    start = used;
                buf[used++] = ch;
                token_has_word = 1;
            }
            else if (start >= 0) { /* a word ends */
                stem(buf, start, &used);
                Py_ssize_t wlen = used - start;
                uint64_t h = hash_chars(buf + start, wlen);
                size_t slot = (size_t)h & mask;
                Py_ssize_t id;
                for (;; slot = (slot + 1) & mask) {
                    id = slots[slot];
                    if (id < 0) {
                        id = nwords++;
                        slots[slot] = id;
                        word_start[id] = start;
                        word_len[id] = wlen;
                        word_hash[id] = h;
                        break;
                    }
                    if (word_hash[id] == h && word_len[id] == wlen &&
                        memcmp(buf + word_start[id], buf + start, (size_t)wlen * sizeof(Py_UCS4)) == 0) {
                        used = start; /* known: its characters are stored already */
                        break;
                    }
                }
                occ[nocc++] = id;
                start = -1;
            }
            if (j == len || Py_UNICODE_ISSPACE(ch)) {
                if (in_token && token_has_word)
                    tokens++;
                in_token = token_has_word = 0;
            }
            else {
                in_token = 1;
            }
        }
        a->sizes[i] = nocc - occ_at[i];
    }
    occ_at[n] = nocc;

    /* Counts per word and each sentence's bag of distinct words. */
    first = PyMem_Malloc(((size_t)nwords + 1) * sizeof(Py_ssize_t));
    total = PyMem_Calloc((size_t)nwords + 1, sizeof(Py_ssize_t));
    df = PyMem_Calloc((size_t)nwords + 1, sizeof(Py_ssize_t));
    lead = PyMem_Calloc((size_t)nwords + 1, sizeof(Py_ssize_t));
    s0 = PyMem_Calloc((size_t)nwords + 1, sizeof(Py_ssize_t));
    last = PyMem_Malloc(((size_t)nwords + 1) * sizeof(Py_ssize_t));
    pos = PyMem_Malloc(((size_t)nwords + 1) * sizeof(Py_ssize_t));
    a->bag_at = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    a->bag_word = PyMem_Malloc(((size_t)nocc + 1) * sizeof(Py_ssize_t));
    a->bag_count = PyMem_Malloc(((size_t)nocc + 1) * sizeof(Py_ssize_t));
    if ((size_t)nwords + 1 > (size_t)PY_SSIZE_T_MAX / sizeof(double) / (size_t)(top + 1))
        goto nomemory;
    a->tables = PyMem_Malloc(((size_t)nwords + 1) * (size_t)(top + 1) * sizeof(double));
    if (!first || !total || !df || !lead || !s0 || !last || !pos || !a->bag_at || !a->bag_word || !a->bag_count || !a->tables)
        goto nomemory;
    for (Py_ssize_t w = 0; w < nwords; w++)
        last[w] = -1;
    Py_ssize_t nbag = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        a->bag_at[i] = nbag;
        for (Py_ssize_t o = occ_at[i]; o < occ_at[i + 1]; o++) {
            Py_ssize_t w = occ[o];
            total[w]++;
            if (i < 3)
                lead[w]++;
            if (i == 0)
                s0[w]++;
            if (last[w] != i) {
                if (last[w] < 0)
                    first[w] = i;
                last[w] = i;
                df[w]++;
                pos[w] = nbag;
                a->bag_word[nbag] = w;
                a->bag_count[nbag] = 1;
                nbag++;
            }
            else {
                a->bag_count[pos[w]]++;
            }
        }
    }
    a->bag_at[n] = nbag;
    a->nwords = nwords;
    for (Py_ssize_t w = 0; w < nwords; w++) {
        int flags = word_flags(buf + word_start[w], word_len[w], word_hash[w]);
        double rate = word_rate(n, first[w], total[w], lead[w], s0[w], df[w], flags);
        expected_overlaps(exp(rate), top, a->tables + w * (top + 1));
    }

    PyObject *sizes = PyList_New(n);
    if (sizes == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *size = PyLong_FromSsize_t(a->sizes[i]);
        if (size == NULL) {
            Py_DECREF(sizes);
            goto done;
        }
        PyList_SET_ITEM(sizes, i, size);
    }
    PyObject *capsule = PyCapsule_New(a, CAPSULE, capsule_free);
    if (capsule == NULL) {
        Py_DECREF(sizes);
        goto done;
    }
    a = NULL; /* the capsule owns it */
    result = Py_BuildValue("(nNN)", tokens, sizes, capsule);
    goto done;

nomemory:
    PyErr_NoMemory();
done:
    if (lowered != NULL) {
        for (Py_ssize_t i = 0; i < n; i++)
            Py_XDECREF(lowered[i]);
        PyMem_Free(lowered);
    }
    PyMem_Free(buf);
    PyMem_Free(occ);
    PyMem_Free(occ_at);
    PyMem_Free(slots);
    PyMem_Free(word_start);
    PyMem_Free(word_len);
    PyMem_Free(word_hash);
    PyMem_Free(first);
    PyMem_Free(total);
    PyMem_Free(df);
    PyMem_Free(lead);
    PyMem_Free(s0);
    PyMem_Free(last);
    PyMem_Free(pos);
    analysis_free(a);
    Py_DECREF(seq);
    return result;
}

/* The overlap a sentence's words add to (sign +1) or take from (sign -1) a set whose word
 * counts are `counts`, which it updates when `apply`. */
static inline double
shift(const Analysis *a, Py_ssize_t i, Py_ssize_t *counts, int sign, int apply)
{
    const int top = a->top;
    const double *tables = a->tables;
    double delta = 0.0;
    for (Py_ssize_t b = a->bag_at[i]; b < a->bag_at[i + 1]; b++) {
        Py_ssize_t w = a->bag_word[b];
        Py_ssize_t c = counts[w], d = c + sign * a->bag_count[b];
        const double *t = tables + w * (top + 1);
        delta += t[d < top ? d : top] - t[c < top ? c : top];
        if (apply)
            counts[w] = d;
    }
    return delta;
}

static PyObject *
choose(PyObject *module, PyObject *args)
{
    PyObject *capsule, *unusable_arg;
    Py_ssize_t k;
    int first_fixed;
    if (!PyArg_ParseTuple(args, "OnOp:choose", &capsule, &k, &unusable_arg, &first_fixed))
        return NULL;
    Analysis *a = PyCapsule_GetPointer(capsule, CAPSULE);
    if (a == NULL)
        return NULL;
    Py_ssize_t n = a->n;
    PyObject *unusable = items_of(unusable_arg, "unusable must be a sequence");
    if (unusable == NULL)
        return NULL;
    if (PySequence_Fast_GET_SIZE(unusable) != n) {
        Py_DECREF(unusable);
        PyErr_SetString(PyExc_ValueError, "unusable must hold one flag per sentence");
        return NULL;
    }
    PyObject *result = NULL, *chosen_list = NULL, *own_list = NULL;
    double *factor = PyMem_Malloc(((size_t)n + 1) * sizeof(double));
    double *own = PyMem_Malloc(((size_t)n + 1) * sizeof(double));
    Py_ssize_t *counts = PyMem_Calloc((size_t)a->nwords + 1, sizeof(Py_ssize_t));
    char *taken = PyMem_Calloc((size_t)n + 1, 1);
    Py_ssize_t kk = k < 0 ? 0 : (k > n ? n : k);
    Py_ssize_t *chosen = PyMem_Malloc(((size_t)kk + 1) * sizeof(Py_ssize_t));
    double *value = NULL; /* [k * n], only for the search: k >= n asks for every sentence */
    if (!factor || !own || !counts || !taken || !chosen) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int flag = PyObject_IsTrue(PySequence_Fast_GET_ITEM(unusable, i));
        if (flag < 0)
            goto done;
        factor[i] = flag ? g_dangling : 1.0;
    }
    double ref = g_ref_per_sentence * (double)(k > 1 ? k : 1);
    for (Py_ssize_t i = 0; i < n; i++) /* alone: its words' counts added to an empty set */
        own[i] = shift(a, i, counts, +1, 0) / ((double)a->sizes[i] + ref) * factor[i];

    Py_ssize_t m = 0; /* chosen: the lede, improved by the best single swap while one helps */
    if (k >= n) {
        for (Py_ssize_t i = 0; i < n; i++)
            chosen[m++] = i;
    }
    else if (k > 0) {
        if ((size_t)k <= (size_t)PY_SSIZE_T_MAX / sizeof(double) / (size_t)n)
            value = PyMem_Malloc((size_t)k * (size_t)n * sizeof(double));
        if (value == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < k; i++) {
            chosen[m++] = i;
            taken[i] = 1;
        }
        for (;;) {
            double overlap = 0.0, length = ref, scale = 2.0;
            memset(counts, 0, (size_t)a->nwords * sizeof(Py_ssize_t));
            for (Py_ssize_t j = 0; j < m; j++) {
                Py_ssize_t i = chosen[j];
                overlap += shift(a, i, counts, +1, 1);
                length += (double)a->sizes[i];
                scale *= factor[i];
            }
            double best = overlap / length * scale;
            for (Py_ssize_t j = 0; j < m; j++) { /* the set without chosen[j], with each y */
                Py_ssize_t x = chosen[j];
                if (first_fixed && x == 0)
                    continue;
                double rest = overlap + shift(a, x, counts, -1, 1);
                double rest_length = length - (double)a->sizes[x], rest_scale = scale / factor[x];
                for (Py_ssize_t y = 0; y < n; y++) {
                    if (!taken[y])
                        value[j * n + y] = (rest + shift(a, y, counts, +1, 0)) / (rest_length + (double)a->sizes[y]) * rest_scale * factor[y];
                }
                shift(a, x, counts, +1, 1);
            }
            Py_ssize_t out = -1, in = -1; /* the Python's order: candidates, then who leaves */
            for (Py_ssize_t y = 0; y < n; y++) {
                if (taken[y])
                    continue;
                for (Py_ssize_t j = 0; j < m; j++) {
                    if (first_fixed && chosen[j] == 0)
                        continue;
                    double v = value[j * n + y];
                    if (v > best + 1e-12) {
                        best = v;
                        out = j;
                        in = y;
                    }
                }
            }
            if (in < 0)
                break;
            taken[chosen[out]] = 0;
            taken[in] = 1;
            m = 0;
            for (Py_ssize_t i = 0; i < n; i++)
                if (taken[i])
                    chosen[m++] = i;
        }
    }

    chosen_list = PyList_New(m);
    own_list = PyList_New(n);
    if (chosen_list == NULL || own_list == NULL)
        goto done;
    for (Py_ssize_t j = 0; j < m; j++) {
        PyObject *item = PyLong_FromSsize_t(chosen[j]);
        if (item == NULL)
            goto done;
        PyList_SET_ITEM(chosen_list, j, item);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyFloat_FromDouble(own[i]);
        if (item == NULL)
            goto done;
        PyList_SET_ITEM(own_list, i, item);
    }
    result = PyTuple_Pack(2, chosen_list, own_list);

done:
    Py_XDECREF(chosen_list);
    Py_XDECREF(own_list);
    Py_DECREF(unusable);
    PyMem_Free(factor);
    PyMem_Free(own);
    PyMem_Free(counts);
    PyMem_Free(taken);
    PyMem_Free(chosen);
    PyMem_Free(value);
    return result;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(bias, weights, max_count, ref_words_per_sentence, dangling, stop_words): the model's constants."},
    {"analyse", analyse, METH_O,
     "analyse(sentences) -> (tokens, sizes, handle): an article's words and their tables under the model."},
    {"choose", choose, METH_VARARGS,
     "choose(handle, k, unusable, first_fixed) -> (chosen, own): as digest.setchoice.choose."},
    {NULL, NULL, 0, NULL},
};

static void
module_free(void *module)
{
    free_stop_words();
}

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "digest._setchoice",
    "The word model and set choice of digest.wordmodel / digest.setchoice, in C (optional).",
    -1, methods, NULL, NULL, NULL, module_free,
};

PyMODINIT_FUNC
PyInit__setchoice(void)
{
    return PyModule_Create(&moduledef);
}
