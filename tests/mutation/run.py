#!/usr/bin/python3
"""Plants each bug of tests/mutation/mutations.ini, one at a time, in a
scratch copy of the tree, rebuilds it and runs the core suite: a bug the
suite does not notice "survived". Not part of ./check (it rebuilds and reruns
the suite once per bug); run it after changing numeric code or its tests.

    tests/mutation/run.py [-j N] [--scratch DIR] [--keep] [--no-baseline] [NAME...]

The scratch copy holds the repository's files as they are in the working
tree (uncommitted changes included), built with -Dgui=disabled in its own
build directory; the tree itself is never touched. Every pattern must occur
exactly once in the current source: a stale one is reported as an error
before anything is built. Exit status: 0 all killed, 1 some survived, 2 an
error (stale pattern, a build or the unmutated suite failing)."""
import argparse
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))


def load(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    with open(path, encoding='utf-8') as f:
        parser.read_file(f)
    muts = []
    for name in parser.sections():
        sec = parser[name]
        for key in ('file', 'find', 'replace'):
            if key not in sec:
                raise SystemExit('%s: [%s] has no %s' % (path, name, key))
        muts.append({'name': name, 'why': sec.get('why', ''), 'file': sec['file'], 'find': sec['find'],
                     'replace': sec['replace'], 'tests': sec.get('tests', '').split()})
    return muts


def check_patterns(muts, root):
    errors = []
    for m in muts:
        path = os.path.join(root, m['file'])
        try:
            with open(path, encoding='utf-8') as f:
                n = f.read().count(m['find'])
        except OSError as e:
            errors.append('%s: %s: %s' % (m['name'], m['file'], e.strerror))
            continue
        if n != 1:
            errors.append('%s: stale pattern, found %d times in %s: %s' % (m['name'], n, m['file'], m['find']))
    return errors


def copy_tree(src, dst):
    """The working tree's tracked and new (not ignored) files; a file already
    there with the same content is left alone (a kept scratch rebuilds only
    what changed)."""
    out = subprocess.run(['git', '-C', src, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                         check=True, stdout=subprocess.PIPE).stdout
    for rel in out.decode().split('\0'):
        if not rel:
            continue
        s = os.path.join(src, rel)
        if not os.path.isfile(s):
            continue  # deleted in the working tree
        d = os.path.join(dst, rel)
        with open(s, 'rb') as f:
            data = f.read()
        try:
            with open(d, 'rb') as f:
                if f.read() == data:
                    continue  # unchanged: keep its time, so a kept build stays valid
        except OSError:
            pass
        os.makedirs(os.path.dirname(d), exist_ok=True)
        with open(d, 'wb') as f:
            f.write(data)
        shutil.copymode(s, d)


def run(cmd, log, **kw):
    with open(log, 'a') as f:
        f.write('\n$ %s\n' % ' '.join(cmd))
        f.flush()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
        f.write(p.stdout)
    return p.returncode, p.stdout


def failed_tests(build):
    """The failed tests of the last `meson test` run, each with its first
    failing TAP case ("explain-normalised (/explain-normalised/ig16_trapezoid)")
    or the start of the message it bailed out with."""
    failed = []
    try:
        with open(os.path.join(build, 'meson-logs', 'testlog.json'), encoding='utf-8') as f:
            for line in f:
                t = json.loads(line)
                if t['result'] in ('OK', 'SKIP', 'EXPECTEDFAIL'):
                    continue
                name = t['name'].split(' / ')[-1]
                out = t.get('stdout') or ''
                case = re.search(r'^not ok \d+ (\S+)', out, re.M) or re.search(r'^Bail out! (.{1,90})', out, re.M)
                failed.append('%s (%s)' % (name, case.group(1).strip()) if case else '%s %s' % (name, t['result']))
    except (OSError, ValueError, KeyError):
        pass
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('-j', '--jobs', type=int, default=2, help='build jobs and parallel tests (default 2)')
    ap.add_argument('--scratch', help='scratch folder, kept and reused (default: a new one in $TMPDIR)')
    ap.add_argument('--keep', action='store_true', help='keep the scratch folder')
    ap.add_argument('--no-baseline', action='store_true', help='skip the unmutated suite run')
    ap.add_argument('names', nargs='*', help='only these mutations')
    args = ap.parse_args()

    muts = load(os.path.join(HERE, 'mutations.ini'))
    if args.names:
        unknown = set(args.names) - {m['name'] for m in muts}
        if unknown:
            raise SystemExit('unknown mutation(s): %s' % ', '.join(sorted(unknown)))
        muts = [m for m in muts if m['name'] in args.names]
    errors = check_patterns(muts, REPO)
    if errors:
        for e in errors:
            print('ERROR', e)
        return 2

    scratch = args.scratch or tempfile.mkdtemp(prefix='relevance-mutation-')
    src, build, log = os.path.join(scratch, 'src'), os.path.join(scratch, 'build'), os.path.join(scratch, 'log.txt')
    print('scratch %s (log: %s)' % (scratch, log), flush=True)
    env = dict(os.environ, CCACHE_BASEDIR=scratch)
    jobs = str(args.jobs)
    suite = ['meson', 'test', '-C', build, '--no-rebuild', '--num-processes', jobs]
    t0 = time.time()
    try:
        copy_tree(REPO, src)
        if not os.path.isdir(build):
            rc, _ = run(['meson', 'setup', build, src, '-Dgui=disabled'], log, env=env)
            if rc != 0:
                print('ERROR meson setup failed, see the log')
                return 2
        rc, _ = run(['ninja', '-C', build, '-j', jobs], log, env=env)
        if rc != 0:
            print('ERROR the unmutated tree does not build, see the log')
            return 2
        if not args.no_baseline:
            t = time.time()
            rc, _ = run(suite + ['--suite', 'core'], log, env=env)
            if rc != 0:
                print('ERROR the unmutated core suite fails (%s): nothing to learn from mutations'
                      % ', '.join(failed_tests(build)))
                return 2
            print('baseline: the core suite passes unmutated (%.0f s)' % (time.time() - t), flush=True)

        survived, results = [], []
        for m in muts:
            path = os.path.join(src, m['file'])
            with open(path, encoding='utf-8') as f:
                original = f.read()
            t = time.time()
            try:
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(original.replace(m['find'], m['replace'], 1))
                rc, _ = run(['ninja', '-C', build, '-j', jobs], log, env=env)
                if rc != 0:
                    verdict = 'ERROR (does not build)'
                else:
                    killers = []
                    if m['tests']:
                        rc, _ = run(suite + m['tests'], log, env=env)
                        killers = failed_tests(build) if rc != 0 else []
                        if rc != 0 and not killers:
                            killers = ['?']
                    if not killers:
                        rc, _ = run(suite + ['--suite', 'core', '--maxfail', '1'], log, env=env)
                        killers = (failed_tests(build) or ['?']) if rc != 0 else []
                    verdict = 'killed by ' + ', '.join(killers) if killers else 'SURVIVED'
            finally:
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(original)
            if verdict == 'SURVIVED':
                survived.append(m['name'])
            results.append((m, verdict))
            print('%-26s %s  [%.0f s]' % (m['name'], verdict, time.time() - t), flush=True)
        # leave the scratch build matching the source
        run(['ninja', '-C', build, '-j', jobs], log, env=env)
    finally:
        if not args.keep and not args.scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    errors = [m['name'] for m, v in results if v.startswith('ERROR')]
    print('%d mutations: %d killed, %d survived%s (%.0f s)'
          % (len(results), len(results) - len(survived) - len(errors), len(survived),
             ', %d errors' % len(errors) if errors else '', time.time() - t0))
    if survived:
        print('survived: ' + ', '.join(survived))
    return 2 if errors else 1 if survived else 0


if __name__ == '__main__':
    sys.exit(main())
