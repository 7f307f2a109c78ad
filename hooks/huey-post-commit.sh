#!/bin/sh
''':'
# codequery-gitcfg-managed: hook=huey-post-commit version=@VERSION@
# Code Query's post-commit hook: the files Code Query's pre-commit hook queued go to its
# Huey worker, or are documented here and now, as .code-query/config.json says.
# Written by `codequery-gitcfg install --huey-post-commit`, with the Python that ran it: it
# then works from GUI clients and shells without the virtual environment. `codequery-gitcfg
# uninstall` removes it and puts back the post-commit hook that was here, which runs after it.
# The shell runs these lines, then Python runs this same file; to Python they are a string.
# Python starts only when there is a queue to take: a commit git makes without running
# Code Query's pre-commit hook (each commit of a rebase, a cherry-pick or a revert) has
# none, unless that hook queued files before. (Our post-commit hook, which runs this one
# when it is installed too, reads the line above and does not even start it then.)
python=@PYTHON@
queue=.code-query/file_queue.json
if [ ! -e "$queue" ] && [ ! -L "$queue" ]; then
    :
elif [ -x "$python" ]; then
    "$python" -I "$0" "$@"
else
    echo "code-query: not documenting this commit: the Python this hook was installed with is gone ($python); run 'codequery-gitcfg install --huey-post-commit' again from Code Query's environment" >&2
fi
case $0 in
    */*) here=${0%/*} ;;
    *) here=. ;;
esac
if [ -x "$here/post-commit.codequery-gitcfg-huey.orig" ]; then
    exec "$here/post-commit.codequery-gitcfg-huey.orig" "$@"
fi
exit 0
'''
import os, sys
try:
    from codequery_gitcfg import effective_config
    from codequery_gitcfg.huey_bridge import post_commit_main
except ImportError as exc:
    sys.exit(f"code-query: not documenting this commit: {exc} ({sys.executable}); run 'codequery-gitcfg "
             "install --huey-post-commit' again from Code Query's environment")
sys.path.insert(0, os.getcwd())          # hooks run at the worktree root, where tasks.py is


def task():
    from tasks import process_file_documentation   # Code Query's worker module (imports huey)
    return process_file_documentation


# The queue's files go to the worker or are documented here, as the effective config says (the
# file, defaults, CODEQUERY_* overrides); whatever fails stays queued, named in one line.
# `--check` (install, doctor): do huey and tasks import?
sys.exit(post_commit_main(sys.argv[1:], config=effective_config, task=task, each=True))
