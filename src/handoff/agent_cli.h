/* agent_cli.h - `loket agent`: adding, listing, enabling and disabling the
 * agent accounts of the handoff console, and setting their passwords, from
 * the command line (the first admin account is made here).
 */
#ifndef LK_AGENT_CLI_H
#define LK_AGENT_CLI_H

#include <stdio.h>

/* One line per sub-command for `loket help`, NULL-terminated. */
extern const char *const agent_cli_help[];

/* Runs `loket agent SUB ...`: argv[0] is "agent", argv[1] the sub-command
 * (main passes argc - 1, argv + 1):
 *   add --bot DIR [--db URL] --username U --name NAME --role agent|supervisor|admin [--teams a,b]
 *   passwd --bot DIR [--db URL] --username U
 *   list --bot DIR [--db URL]
 *   disable|enable --bot DIR [--db URL] --username U
 * The password (add, passwd) comes from $LOKET_AGENT_PASSWORD when set, else
 * from the first line of stdin when stdin is not a terminal, else a strong
 * one is generated and printed once. The default --db is serve's
 * (sqlite:loket.db). Returns the exit status: 0 done, 1 failed, 2 usage. */
int agent_cli_main(int argc, char **argv);

#endif
