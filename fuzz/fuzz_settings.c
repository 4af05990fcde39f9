/* fuzz_settings.c — libFuzzer driver for the settings loader (both file forms). Build with
 * clang -fsanitize=fuzzer to fuzz; CTest replays the corpus through replay.c. */
#include "app/settings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    struct settings s;
    char err[1024];
    /* no base folder: an ImportSettingsFrom in the input must not read the fuzzing machine's
     * files beyond what an absolute path names */
    if (settings_load_text(text, "/nonexistent", &s, err, sizeof err) == 0) settings_free(&s);
    free(text);
    return 0;
}
