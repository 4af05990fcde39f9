/* config.c — `strata config check --config FILE` and `strata config keys`. */
#include "app/settings.h"
#include "cmd/commands.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int cmd_config(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "keys") == 0) {
        for (int i = 0; i < SETTING_COUNT_; i++)
            printf("%-24s %s\n", settings_name(i), settings_doc(i));
        return 0;
    }
    bool env_only = argc == 1 && strcmp(argv[0], "check") == 0;
    if (!env_only && (argc != 3 || strcmp(argv[0], "check") || strcmp(argv[1], "--config"))) {
        fprintf(stderr, "usage: strata config check [--config FILE] | strata config keys\n");
        return 2;
    }
    struct settings s;
    char err[1024];
    if (env_only ? settings_load_env(&s, err, sizeof err)
                 : settings_load(argv[2], &s, err, sizeof err)) {
        fprintf(stderr, "strata: %s\n", err);
        return 1;
    }
    printf("%s: valid (hostname %s, production_type %s)\n",
           env_only ? "TFE_* environment" : argv[2], settings_str(&s, SETTING_HOSTNAME),
           settings_str(&s, SETTING_PRODUCTION_TYPE));
    settings_free(&s);
    return 0;
}
