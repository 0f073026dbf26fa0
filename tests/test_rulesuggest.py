"""The rules "yes, and don't ask again" offers for Bash, over a table of real commands.

Every row is checked three ways: the suggested rules are exactly the expected ones; through
the real permission engine they allow the command they came from (whenever any rule could)
and still ask for dangerous siblings (another script, ``-c`` code, another package run by the
same runner); and no prefix ever ends in an interpreter, shell, runner or wrapper.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
from pathlib import Path

import pytest

from devagent.approval import PermissionRequest
from devagent.bashparse import analyze
from devagent.permissions import BashPattern, PermissionEngine, Rule
from devagent.rulesuggest import suggest_bash_rules

Expected = str | tuple[str, ...] | None

# command -> the specifier(s) of the rules offered, in order (None: no rule can be offered).
ROWS: list[tuple[str, Expected]] = [
    # python
    ("python3 -m pytest -q", "python3 -m pytest:*"),
    ("python3 -m pytest tests/test_x.py -k foo", "python3 -m pytest:*"),
    ("python -m pytest", "python -m pytest:*"),
    ("python3.12 -m pytest -x", "python3.12 -m pytest:*"),
    ("pypy3 -m pytest", "pypy3 -m pytest:*"),
    ("python3 -m pip install -r requirements.txt", "python3 -m pip install:*"),
    ("python -m pip install requests", "python -m pip install:*"),
    ("pip install -e .", "pip install:*"),
    ("pip3 install --upgrade pip", "pip3 install:*"),
    ("pip --disable-pip-version-check list", "pip --disable-pip-version-check list:*"),
    ("pip cache purge", "pip cache purge:*"),
    ("python3 -m venv .venv", "python3 -m venv:*"),
    ("python3 -m unittest discover -s tests", "python3 -m unittest:*"),
    ("python -m mypy src", "python -m mypy:*"),
    ("python -m black --check .", "python -m black:*"),
    ("python -m http.server 8000", "python -m http.server 8000"),
    ("python3 -m http.server", "python3 -m http.server"),
    ("python -m pdb script.py", "python -m pdb script.py"),
    ("python -m timeit '1+1'", "python -m timeit 1+1"),
    ("python -m cProfile -o out.prof app.py", "python -m cProfile -o out.prof app.py"),
    ("python -m json.tool data.json", "python -m json.tool data.json"),
    ("python -m mypkg.cli serve --port 1", "python -m mypkg.cli serve:*"),
    ("python -m build", "python -m build"),
    ("python -m twine upload dist/x.whl", "python -m twine upload:*"),
    ("python -m IPython", "python -m IPython"),
    ("python -m coverage run -m pytest", "python -m coverage run -m pytest:*"),
    ("python3 script.py --x", "python3 script.py --x"),
    ("python3 scripts/gen.py", "python3 scripts/gen.py"),
    ("python app.py", "python app.py"),
    ("python3 -c 'import sys; print(sys.version)'", "python3 -c 'import sys; print(sys.version)'"),
    (
        "python3 -c \"import os; os.system('ls')\"",
        "python3 -c 'import os; os.system('\"'\"'ls'\"'\"')'",
    ),
    ("python3", None),
    ("python3 -", None),
    ("python3 -i script.py", None),
    ("python3 -u train.py --epochs 3", "python3 -u train.py --epochs 3"),
    ("python3 -W ignore script.py", "python3 -W ignore script.py"),
    ("python3 -Wignore", None),
    ("python3 -B -m pytest", "python3 -B -m pytest:*"),
    ("python3 --version", "python3 --version"),
    ("python -V", "python -V"),
    (".venv/bin/python -m pytest -q", ".venv/bin/python -m pytest:*"),
    (".venv/bin/python manage.py migrate", ".venv/bin/python manage.py migrate"),
    ("venv/bin/pytest tests", "venv/bin/pytest:*"),
    ("/usr/bin/python3 -m pip list", "/usr/bin/python3 -m pip list:*"),
    ("python manage.py runserver", "python manage.py runserver"),
    # node
    ("node scripts/build.js", "node scripts/build.js"),
    ("node index.js", "node index.js"),
    ("node --test", "node --test"),
    ("node --test test/", "node --test test/"),
    ("node -e 'console.log(1)'", "node -e 'console.log(1)'"),
    ("node -p 1+1", "node -p 1+1"),
    ("node", None),
    ("node --version", "node --version"),
    ("node -r ts-node/register src/x.ts", "node -r ts-node/register src/x.ts"),
    ("node --inspect app.js", "node --inspect app.js"),
    ("nodejs server.js", "nodejs server.js"),
    ("tsx src/main.ts", "tsx src/main.ts"),
    ("ts-node scripts/seed.ts", "ts-node scripts/seed.ts"),
    ("deno run -A main.ts", "deno run -A main.ts"),
    ("deno run --allow-net server.ts", "deno run --allow-net server.ts"),
    ("deno test", "deno test:*"),
    ("deno test -A", "deno test:*"),
    ("deno task dev", "deno task dev:*"),
    ("deno fmt", "deno fmt:*"),
    ("deno lint", "deno lint:*"),
    ("deno eval 'console.log(1)'", "deno eval 'console.log(1)'"),
    ("deno", None),
    ("bun test", "bun test:*"),
    ("bun install", "bun install:*"),
    ("bun run dev", "bun run dev:*"),
    ("bun run build", "bun run build:*"),
    ("bun run scripts/x.ts", "bun run scripts/x.ts"),
    ("bun x.ts", "bun x.ts"),
    ("bun dev", "bun dev:*"),
    ("bun add zod", "bun add:*"),
    ("bunx prettier --write .", "bunx prettier:*"),
    ("bun x cowsay hi", "bun x cowsay hi:*"),
    # npm family
    ("npm test", "npm test:*"),
    ("npm test -- --watch", "npm test:*"),
    ("npm t", "npm t:*"),
    ("npm run test", "npm run test:*"),
    ("npm run test:unit", "npm run test:unit:*"),
    ("npm run build -- --prod", "npm run build:*"),
    ("npm run lint", "npm run lint:*"),
    ("npm run", "npm run"),
    ("npm start", "npm start:*"),
    ("npm install", "npm install:*"),
    ("npm install lodash", "npm install:*"),
    ("npm i -D typescript", "npm i:*"),
    ("npm ci", "npm ci:*"),
    ("npm --prefix web run build", "npm --prefix web run build:*"),
    ("npm -w packages/a test", "npm -w packages/a test:*"),
    ("npm exec jest", "npm exec jest:*"),
    ("npm exec -- jest --watch", "npm exec -- jest:*"),
    ("npm exec -c 'echo hi'", "npm exec -c 'echo hi'"),
    ("npm x eslint .", "npm x eslint:*"),
    ("npm init -y", "npm init -y"),
    ("npm init vite@latest my-app", "npm init vite@latest:*"),
    ("npm audit", "npm audit:*"),
    ("npm --script-shell=/bin/zsh test", "npm --script-shell=/bin/zsh test"),
    ("npx jest", "npx jest:*"),
    ("npx jest --watch", "npx jest:*"),
    ("npx tsc --noEmit", "npx tsc:*"),
    ("npx eslint .", "npx eslint:*"),
    ("npx prettier --check .", "npx prettier:*"),
    ("npx vitest run", "npx vitest:*"),
    ("npx playwright test", "npx playwright test:*"),
    ("npx prisma migrate dev", "npx prisma migrate:*"),
    ("npx create-react-app my-app", "npx create-react-app my-app:*"),
    ("npx create-vite@latest my-app", "npx create-vite@latest my-app:*"),
    ("npx -y create-next-app@latest web", "npx -y create-next-app@latest web:*"),
    ("npx -p typescript tsc --version", "npx -p typescript tsc:*"),
    ("npx @biomejs/biome check .", "npx @biomejs/biome check:*"),
    ("npx node -e 1", "npx node -e 1"),
    ("npx tsx script.ts", "npx tsx script.ts"),
    ("npx ./local-bin.js", "npx ./local-bin.js"),
    ("npx -c 'rm -rf x'", "npx -c 'rm -rf x'"),
    ("npx", "npx"),
    ("pnpm install", "pnpm install:*"),
    ("pnpm test", "pnpm test:*"),
    ("pnpm run build", "pnpm run build:*"),
    ("pnpm build", "pnpm build:*"),
    ("pnpm -C web build", "pnpm -C web build:*"),
    ("pnpm --filter web test", "pnpm --filter web test:*"),
    ("pnpm exec vitest", "pnpm exec vitest:*"),
    ("pnpm exec vitest run", "pnpm exec vitest:*"),
    ("pnpm exec tsc --noEmit", "pnpm exec tsc:*"),
    ("pnpm exec node x.js", "pnpm exec node x.js"),
    ("pnpm dlx create-vite my-app", "pnpm dlx create-vite my-app:*"),
    ("pnpx prisma generate", "pnpx prisma generate:*"),
    ("yarn", "yarn"),
    ("yarn install", "yarn install:*"),
    ("yarn test", "yarn test:*"),
    ("yarn build", "yarn build:*"),
    ("yarn run lint", "yarn run lint:*"),
    ("yarn --cwd web build", "yarn --cwd web build:*"),
    ("yarn add react", "yarn add:*"),
    ("yarn dlx create-next-app", "yarn dlx create-next-app"),
    ("yarn exec 'echo hi'", "yarn exec 'echo hi'"),
    ("yarn node script.js", "yarn node script.js"),
    ("yarn workspace web build", "yarn workspace web build"),
    ("corepack enable", "corepack enable:*"),
    ("corepack pnpm install", "corepack pnpm install:*"),
    ("corepack pnpm dlx cowsay", "corepack pnpm dlx cowsay"),
    # uv poetry etc
    ("uv run pytest", "uv run pytest:*"),
    ("uv run pytest -q tests", "uv run pytest:*"),
    ("uv run python -m pytest", "uv run python -m pytest:*"),
    ("uv run python -m pytest -x", "uv run python -m pytest:*"),
    ("uv run python script.py", "uv run python script.py"),
    ("uv run python", None),
    ("uv run python -c 'print(1)'", "uv run python -c 'print(1)'"),
    ("uv run --with rich python -m pytest", "uv run --with rich python -m pytest:*"),
    ("uv run --frozen pytest", "uv run --frozen pytest:*"),
    ("uv run -- pytest -q", "uv run -- pytest:*"),
    ("uv run script.py", "uv run script.py"),
    ("uv run mypy src", "uv run mypy:*"),
    ("uv run ruff check .", "uv run ruff check:*"),
    ("uv run alembic upgrade head", "uv run alembic upgrade:*"),
    ("uv run bash -c 'ls'", "uv run bash -c ls"),
    ("uv run", "uv run"),
    ("uv sync", "uv sync:*"),
    ("uv sync --all-extras", "uv sync:*"),
    ("uv add requests", "uv add:*"),
    ("uv lock", "uv lock:*"),
    ("uv pip install -e .", "uv pip install:*"),
    ("uv pip compile requirements.in", "uv pip compile:*"),
    ("uv venv", "uv venv:*"),
    ("uv python install 3.12", "uv python install:*"),
    ("uv tool install ruff", "uv tool install:*"),
    ("uv tool run ruff check", "uv tool run ruff check:*"),
    ("uvx ruff check .", "uvx ruff check:*"),
    ("uvx black .", "uvx black:*"),
    ("uvx --from httpie http GET x", "uvx --from httpie http GET x"),
    ("uvx pycowsay hi", "uvx pycowsay hi:*"),
    ("poetry run pytest", "poetry run pytest:*"),
    ("poetry run python -m pytest", "poetry run python -m pytest:*"),
    ("poetry run python app.py", "poetry run python app.py"),
    ("poetry install", "poetry install:*"),
    ("poetry add requests", "poetry add:*"),
    ("poetry shell", "poetry shell"),
    ("poetry env info", "poetry env info:*"),
    ("pipenv run pytest", "pipenv run pytest:*"),
    ("pipenv install", "pipenv install:*"),
    ("conda run -n myenv python -m pytest", "conda run -n myenv python -m pytest:*"),
    ("conda run -n myenv pytest -q", "conda run -n myenv pytest:*"),
    ("conda install numpy", "conda install:*"),
    ("conda env list", "conda env list:*"),
    ("pipx run black .", "pipx run black:*"),
    ("pipx install poetry", "pipx install:*"),
    ("pdm run pytest", "pdm run pytest:*"),
    ("hatch run test", "hatch run test:*"),
    ("hatch run pytest", "hatch run pytest:*"),
    ("rye run pytest", "rye run pytest:*"),
    ("pixi run python x.py", "pixi run python x.py"),
    ("bundle exec rspec", "bundle exec rspec:*"),
    ("bundle exec rails server", "bundle exec rails server"),
    ("bundle exec ruby x.rb", "bundle exec ruby x.rb"),
    ("bundle install", "bundle install:*"),
    ("coverage run -m pytest", "coverage run -m pytest:*"),
    ("coverage run script.py", "coverage run script.py"),
    ("coverage report -m", "coverage report:*"),
    ("coverage html", "coverage html:*"),
    # git
    ("git status", "git status:*"),
    ("git status --short", "git status:*"),
    ("git diff", "git diff:*"),
    ("git diff --cached", "git diff:*"),
    ("git diff HEAD~1 -- src", "git diff:*"),
    ("git log --oneline -n 5", "git log:*"),
    ("git log -p", "git log:*"),
    ("git show HEAD", "git show:*"),
    ("git add -A", "git add:*"),
    ("git add src/x.py", "git add:*"),
    ("git commit -m 'fix bug'", "git commit:*"),
    ("git commit --amend --no-edit", "git commit:*"),
    ("git push", "git push:*"),
    ("git push origin main", "git push:*"),
    ("git push --force-with-lease", "git push:*"),
    ("git pull --rebase", "git pull:*"),
    ("git fetch origin", "git fetch:*"),
    ("git checkout -b feature", "git checkout:*"),
    ("git switch main", "git switch:*"),
    ("git branch -a", "git branch:*"),
    ("git merge develop", "git merge:*"),
    ("git rebase main", "git rebase:*"),
    ("git rebase -i HEAD~3", "git rebase:*"),
    ("git rebase -x 'make test' main", "git rebase -x 'make test' main"),
    ("git stash", "git stash"),
    ("git stash pop", "git stash pop:*"),
    ("git stash list", "git stash list:*"),
    ("git remote -v", "git remote -v"),
    ("git remote add origin git@example.com:x/y.git", "git remote add:*"),
    ("git submodule update --init --recursive", "git submodule update:*"),
    ("git submodule foreach 'git pull'", "git submodule foreach 'git pull'"),
    ("git bisect start", "git bisect start:*"),
    ("git bisect run make test", "git bisect run make test"),
    ("git worktree add ../wt feature", "git worktree add:*"),
    ("git tag v1.0.0", "git tag:*"),
    ("git reset --hard HEAD~1", "git reset:*"),
    ("git clean -fdx", "git clean -fdx"),
    ("git config user.name 'X'", "git config user.name X"),
    ("git config --global core.editor vim", "git config --global core.editor vim"),
    ("git -C repo status", "git -C repo status:*"),
    ("git -C ../other log -1", "git -C ../other log:*"),
    ("git -c core.pager=cat log", "git -c core.pager=cat log"),
    ("git --no-pager log -1", "git --no-pager log:*"),
    ("git --git-dir=.git status", "git --git-dir=.git status"),
    ("git log --output=/tmp/x", "git log --output=/tmp/x"),
    ("git clone https://github.com/x/y.git", "git clone:*"),
    ("git clone -u 'touch /tmp/p' x", "git clone -u 'touch /tmp/p' x"),
    ("git blame src/app.py", "git blame:*"),
    ("git cherry-pick abc123", "git cherry-pick:*"),
    ("git rev-parse HEAD", "git rev-parse:*"),
    ("git ls-files", "git ls-files:*"),
    ("git grep foo", "git grep:*"),
    ("git", "git"),
    # go cargo make etc
    ("go test ./...", "go test:*"),
    ("go test -run TestX ./pkg/...", "go test:*"),
    ("go test -exec 'sh -c' ./...", "go test -exec 'sh -c' ./..."),
    ("go build ./...", "go build:*"),
    ("go vet ./...", "go vet:*"),
    ("go mod tidy", "go mod tidy:*"),
    ("go mod download", "go mod download:*"),
    ("go run .", "go run ."),
    ("go run main.go", "go run main.go"),
    ("go run ./cmd/server", "go run ./cmd/server"),
    ("go generate ./...", "go generate:*"),
    ("go tool pprof cpu.out", "go tool pprof:*"),
    ("go install golang.org/x/tools/gopls@latest", "go install:*"),
    ("go env GOPATH", "go env:*"),
    ("cargo test", "cargo test:*"),
    ("cargo test -- --nocapture", "cargo test:*"),
    ("cargo build --release", "cargo build:*"),
    ("cargo check", "cargo check:*"),
    ("cargo clippy -- -D warnings", "cargo clippy:*"),
    ("cargo fmt --all", "cargo fmt:*"),
    ("cargo run", "cargo run"),
    ("cargo run --bin server -- --port 8080", "cargo run --bin server -- --port 8080"),
    ("cargo +nightly test", "cargo +nightly test:*"),
    ("cargo --config 'x=1' test", "cargo --config x=1 test"),
    ("cargo install ripgrep", "cargo install:*"),
    ("make", "make"),
    ("make build", "make build:*"),
    ("make test", "make test:*"),
    ("make -j4 build", "make -j4 build:*"),
    ("make -j 4 build", "make -j 4 build:*"),
    ("make -C dir -f x.mk build", "make -C dir -f x.mk build:*"),
    ("make CC=clang build", "make CC=clang build"),  # CC= changes what runs: exact
    ("make --eval='x:=1' build", "make --eval=x:=1 build"),
    ("make -k", "make -k"),
    ("gmake install", "gmake install:*"),
    ("just test", "just test:*"),
    ("just deploy prod", "just deploy:*"),
    ("ninja -C build", "ninja -C build"),
    ("ninja -C build test", "ninja -C build test:*"),
    ("cmake -S . -B build", "cmake -S . -B build"),
    ("cmake --build build", "cmake --build build"),
    ("./gradlew build", "./gradlew build:*"),
    ("./gradlew :app:test --info", "./gradlew :app:test:*"),
    ("./gradlew run", "./gradlew run"),
    ("gradle test", "gradle test:*"),
    ("mvn test", "mvn test:*"),
    ("mvn -q -DskipTests package", "mvn -q -DskipTests package:*"),
    ("mvn clean install", "mvn clean:*"),
    ("mvn exec:java", "mvn exec:java"),
    ("./mvnw spring-boot:run", "./mvnw spring-boot:run"),
    ("dotnet test", "dotnet test:*"),
    ("dotnet build", "dotnet build:*"),
    ("dotnet run", "dotnet run"),
    ("dotnet app.dll", "dotnet app.dll"),
    ("dotnet new console", "dotnet new console:*"),
    ("dotnet tool run x", "dotnet tool run x"),
    ("swift build", "swift build:*"),
    ("swift run", "swift run"),
    ("zig build", "zig build:*"),
    ("zig run x.zig", "zig run x.zig"),
    ("bazel test //...", "bazel test:*"),
    ("bazel run //app", "bazel run //app"),
    ("rustup update", "rustup update:*"),
    ("rustup toolchain install nightly", "rustup toolchain install:*"),
    ("rustup run nightly cargo build", "rustup run nightly cargo build"),
    # containers and cloud
    ("docker ps", "docker ps:*"),
    ("docker ps -a", "docker ps:*"),
    ("docker build -t app .", "docker build:*"),
    ("docker images", "docker images:*"),
    ("docker logs -f web", "docker logs:*"),
    ("docker run --rm -it alpine sh", "docker run --rm -it alpine sh"),
    ("docker exec -it web bash", "docker exec -it web bash"),
    ("docker compose up -d", "docker compose up:*"),
    ("docker compose -f a.yml up -d", "docker compose -f a.yml up:*"),
    ("docker compose logs -f", "docker compose logs:*"),
    ("docker compose run web pytest", "docker compose run web pytest"),
    ("docker compose exec web bash", "docker compose exec web bash"),
    ("docker compose down -v", "docker compose down -v"),
    ("docker-compose up", "docker-compose up:*"),
    ("docker --context prod ps", "docker --context prod ps:*"),
    ("docker container ls", "docker container ls:*"),
    ("docker container rm x", "docker container rm x"),
    ("docker image prune -f", "docker image prune -f"),
    ("docker system prune -af", "docker system prune -af"),
    ("docker", "docker"),
    ("podman ps", "podman ps:*"),
    ("kubectl get pods", "kubectl get:*"),
    ("kubectl get pods -A", "kubectl get:*"),
    ("kubectl -n prod get pods", "kubectl -n prod get:*"),
    ("kubectl --context staging get svc", "kubectl --context staging get:*"),
    ("kubectl describe pod x", "kubectl describe:*"),
    ("kubectl logs -f deploy/web", "kubectl logs:*"),
    ("kubectl apply -f k8s/", "kubectl apply -f k8s/"),
    ("kubectl delete pod x", "kubectl delete pod x"),
    ("kubectl exec -it x -- sh", "kubectl exec -it x -- sh"),
    ("kubectl config use-context prod", "kubectl config use-context:*"),
    ("kubectl rollout restart deploy/web", "kubectl rollout restart:*"),
    ("kubectl rollout status deploy/web", "kubectl rollout status:*"),
    ("kubectl port-forward svc/web 8080:80", "kubectl port-forward svc/web 8080:80"),
    ("helm install web ./chart", "helm install:*"),
    ("helm upgrade web ./chart", "helm upgrade:*"),
    ("helm repo add bitnami https://charts.bitnami.com/bitnami", "helm repo add:*"),
    ("helm repo update", "helm repo update:*"),
    ("helm uninstall web", "helm uninstall web"),
    ("helm -n prod list", "helm -n prod list:*"),
    ("terraform init", "terraform init:*"),
    ("terraform plan", "terraform plan:*"),
    ("terraform -chdir=infra plan", "terraform -chdir=infra plan"),
    ("terraform apply", "terraform apply"),
    ("terraform apply -auto-approve", "terraform apply -auto-approve"),
    ("terraform destroy", "terraform destroy"),
    ("terraform state list", "terraform state list:*"),
    ("terraform state rm x", "terraform state rm x"),
    ("aws s3 ls", "aws s3 ls:*"),
    ("aws s3 ls s3://bucket", "aws s3 ls:*"),
    ("aws --profile dev s3 cp x s3://b/x", "aws --profile dev s3 cp:*"),
    ("aws sts get-caller-identity", "aws sts get-caller-identity:*"),
    ("az group list", "az group list:*"),
    ("gcloud compute instances list", "gcloud compute instances list:*"),
    ("gcloud config set project x", "gcloud config set project:*"),
    ("gh pr list", "gh pr list:*"),
    ("gh pr create --fill", "gh pr create:*"),
    ("gh pr view 12", "gh pr view:*"),
    ("gh issue list", "gh issue list:*"),
    ("gh run watch", "gh run watch:*"),
    ("gh api repos/x/y", "gh api repos/x/y"),
    ("gh repo clone x/y", "gh repo clone:*"),
    ("gh codespace ssh", "gh codespace ssh"),
    # plain tools
    ("ls", "ls:*"),
    ("ls -la src", "ls:*"),
    ("ls -la", "ls:*"),
    ("cat README.md", "cat:*"),
    ("head -n 20 src/app.py", "head:*"),
    ("tail -f log.txt", "tail:*"),
    ("wc -l src/*.py", "wc:*"),
    ("grep -rn TODO src", "grep:*"),
    ("grep -E 'a|b' file", "grep:*"),
    ("rg foo", "rg:*"),
    ("rg --pre ./x foo", "rg --pre ./x foo"),
    ("rg -n 'def main' src", "rg:*"),
    ("find . -name '*.py'", "find:*"),
    ("find . -name '*.py' -delete", None),
    ("find . -type f -exec rm {} +", "find . -type f -exec rm '{}' +"),
    ("find src -type f", "find:*"),
    ("fd -e py", "fd:*"),
    ("fd -x rm", "fd -x rm"),
    ("tree -L 2", "tree:*"),
    ("du -sh .", "du:*"),
    ("df -h", "df:*"),
    ("echo hello", "echo:*"),
    ("echo $HOME", "echo:*"),
    ("printf '%s\\n' a", "printf:*"),
    ("pwd", "pwd:*"),
    ("which python3", "which:*"),
    ("mkdir -p build", "mkdir:*"),
    ("touch x.txt", "touch:*"),
    ("jq .name package.json", "jq:*"),
    ("sort file.txt", "sort:*"),
    ("sort --compress-program=gzip big.txt", "sort --compress-program=gzip big.txt"),
    ("diff a.txt b.txt", "diff:*"),
    ("tar -czf out.tgz src", "tar:*"),
    ("tar -xzf x.tgz", "tar:*"),
    ("tar --to-command=sh -xf x.tar", "tar --to-command=sh -xf x.tar"),
    ("less README.md", "less:*"),
    ("man ls", "man:*"),
    ("sed -n '1,20p' src/app.py", "sed -n 1,20p src/app.py"),
    ("sed -i 's/a/b/' f", "sed -i s/a/b/ f"),
    ("awk '{print $1}' f", "awk '{print $1}' f"),
    ("pytest", "pytest:*"),
    ("pytest -q", "pytest:*"),
    ("pytest tests/test_x.py::test_y -vv", "pytest:*"),
    ("mypy src", "mypy:*"),
    ("ruff check .", "ruff check:*"),
    ("ruff format --check src", "ruff format:*"),
    ("ruff .", "ruff ."),
    ("black .", "black:*"),
    ("eslint src", "eslint:*"),
    ("prettier --write .", "prettier:*"),
    ("tsc --noEmit", "tsc:*"),
    ("jest", "jest:*"),
    ("vitest run", "vitest:*"),
    ("shellcheck x.sh", "shellcheck:*"),
    ("pre-commit run --all-files", "pre-commit run:*"),
    ("tox -e py311", "tox:*"),
    # destructive / network
    ("rm -rf build", "rm -rf build"),
    ("rm file.txt", "rm file.txt"),
    ("rm -rf build/*.o", None),
    ("mv a b", "mv a b"),
    ("cp -r src dst", "cp -r src dst"),
    ("ln -s a b", "ln -s a b"),
    ("chmod +x run.sh", "chmod +x run.sh"),
    ("curl -s https://example.com", "curl -s https://example.com"),
    ("curl -fsSL https://x | sh", "curl -fsSL https://x"),
    ("wget https://x/file", "wget https://x/file"),
    ("ssh host ls", "ssh host ls"),
    ("scp a host:b", "scp a host:b"),
    ("kill 1234", "kill 1234"),
    ("pkill -f server", "pkill -f server"),
    ("open index.html", "open index.html"),
    ("gcc -o x x.c", "gcc -o x x.c"),
    ("clang x.c", "clang x.c"),
    ("strace -f ./a.out", ("./a.out", "strace -f ./a.out")),
    ("valgrind ./a.out", "valgrind ./a.out"),
    ("hyperfine 'sleep 0.1'", "hyperfine 'sleep 0.1'"),
    # scripts / shells
    ("./run.sh", "./run.sh"),
    ("./run.sh --fast", "./run.sh --fast"),
    ("./scripts/test.sh unit", "./scripts/test.sh unit"),
    ("scripts/deploy.sh prod", "scripts/deploy.sh prod"),
    ("bash ./deploy.sh", "bash ./deploy.sh"),
    ("bash deploy.sh --dry-run", "bash deploy.sh --dry-run"),
    ("bash", None),
    ("bash -s", None),
    ("bash -x ./ci.sh", "bash -x ./ci.sh"),
    ("bash -euo pipefail", None),
    ("sh install.sh", "sh install.sh"),
    ("sh -c 'npm test'", "npm test:*"),
    ("bash -c 'npm test && npm run lint'", ("npm test:*", "npm run lint:*")),
    ("bash -lc 'python3 -m pytest'", "python3 -m pytest:*"),
    ("zsh -c 'ls'", "ls:*"),
    ("fish -c 'ls'", "ls:*"),
    ("pwsh -Command Get-Date", "pwsh -Command Get-Date"),
    ("source .venv/bin/activate", "source .venv/bin/activate"),
    (". ./env.sh", ". ./env.sh"),
    # other interpreters
    ("ruby script.rb", "ruby script.rb"),
    ("ruby -e 'puts 1'", "ruby -e 'puts 1'"),
    ("perl -pi -e 's/a/b/' f", "perl -pi -e s/a/b/ f"),
    ("perl script.pl", "perl script.pl"),
    ("php artisan migrate", "php artisan migrate"),
    ("php -r 'echo 1;'", "php -r 'echo 1;'"),
    ("php -S localhost:8000", None),
    ("lua x.lua", "lua x.lua"),
    ("Rscript -e 'print(1)'", "Rscript -e 'print(1)'"),
    ("Rscript analysis.R", "Rscript analysis.R"),
    ("java -jar app.jar", "java -jar app.jar"),
    ("java Main", "java Main"),
    ("java -version", "java -version"),
    ("psql mydb", None),
    ("psql -c 'select 1' mydb", "psql -c 'select 1' mydb"),
    ("psql -l", "psql -l"),
    ("sqlite3 db.sqlite", None),
    ("sqlite3 db.sqlite '.tables'", "sqlite3 db.sqlite .tables"),
    ("redis-cli ping", "redis-cli ping"),
    ("redis-cli", None),
    ("osascript -e 'beep'", "osascript -e beep"),
    # wrappers
    ("timeout 5 npm test", "npm test:*"),
    ("timeout 60 python3 -m pytest", "python3 -m pytest:*"),
    ("env LANG=C npm test", "npm test:*"),
    ("nice -n 10 make build", "make build:*"),
    ("nohup python3 -m http.server", "python3 -m http.server"),
    ("time make build", "make build:*"),
    ("exec npm test", "npm test:*"),
    ("eval 'npm test'", "npm test:*"),
    ("command -v python3", "command -v python3"),
    ("sudo apt-get install -y curl", ("apt-get install:*", "sudo apt-get install -y curl")),
    ("sudo -u postgres psql", None),
    ("sudo -i", None),
    ("sudo", None),
    ("env", "env"),
    ("xargs", "xargs"),
    ("git ls-files | xargs wc -l", ("git ls-files:*", "wc:*", "xargs wc -l")),
    ("find . -name '*.py' | xargs grep foo", ("find:*", "grep:*", "xargs grep foo")),
    ("ls | xargs rm", ("ls:*", "rm", "xargs rm")),
    ("watch -n 1 git status", ("git status:*", "watch -n 1 git status")),
    ("xargs -I{} python3 {}", ("python3 '{}'", "xargs '-I{}' python3 '{}'")),
    ("strace python3 x.py", ("python3 x.py", "strace python3 x.py")),
    # compounds
    ("cd src && pytest -q", "pytest:*"),
    ("cd web && npm ci && npm test", ("npm ci:*", "npm test:*")),
    ("npm ci && npm test", ("npm ci:*", "npm test:*")),
    ("npm test && npm test -- --watch", "npm test:*"),
    ("git add -A && git commit -m 'x'", ("git add:*", "git commit:*")),
    ("make build && ./bin/app --port 1", ("make build:*", "./bin/app --port 1")),
    ("pytest -q; echo done", ("pytest:*", "echo:*")),
    ("cat a.txt | grep foo | wc -l", ("cat:*", "grep:*", "wc:*")),
    (
        "python3 -m pytest && python3 -c 'print(1)'",
        ("python3 -m pytest:*", "python3 -c 'print(1)'"),
    ),
    ("echo hi | python3", "echo:*"),
    ("ls && rm -rf build", ("ls:*", "rm -rf build")),
    # unknown tools
    ("alembic upgrade head", "alembic upgrade:*"),
    ("alembic revision -m x", "alembic revision:*"),
    ("django-admin startproject x", "django-admin startproject:*"),
    ("flask run", "flask run"),
    ("uvicorn main:app --reload", "uvicorn main:app:*"),
    ("gunicorn app:app", "gunicorn app:app:*"),
    ("ansible-playbook site.yml", "ansible-playbook site.yml"),
    ("pulumi up", "pulumi up:*"),
    ("vercel deploy", "vercel deploy:*"),
    ("wrangler dev", "wrangler dev:*"),
    ("firebase deploy", "firebase deploy:*"),
    ("supabase start", "supabase start:*"),
    ("mytool", "mytool"),
    ("mytool --flag x", "mytool --flag x"),
    ("mytool build", "mytool build:*"),
    ("mytool run x", "mytool run x"),
    ("pixi run test", "pixi run test:*"),
    ("mise run test", "mise run test:*"),
    ("mise exec -- node x.js", "mise exec -- node x.js"),
    ("nix run nixpkgs#hello", "nix run 'nixpkgs#hello'"),
    ("nix build", "nix build:*"),
    ("direnv exec . npm test", "direnv exec . npm test"),
    ("brew install jq", "brew install:*"),
    ("brew services start postgresql", "brew services start:*"),
    ("apt-get update", "apt-get update:*"),
    ("systemctl status nginx", "systemctl status:*"),
    ("systemctl --user restart x", "systemctl --user restart:*"),
    ("openssl rand -hex 16", "openssl rand:*"),
]

INTERPRETER = re.compile(
    r"^(python|pypy|node|nodejs|deno|bun|ruby|perl|php|lua|luajit|tsx|ts-node)[0-9.]*$"
    r"|^(Rscript|R|java|julia|irb|osascript|psql|sqlite3)$"
)
SHELLS = frozenset(["bash", "sh", "zsh", "dash", "ksh", "fish", "pwsh", "source", "."])
WRAPPERS = frozenset(
    [
        "env",
        "sudo",
        "doas",
        "timeout",
        "nice",
        "nohup",
        "time",
        "watch",
        "exec",
        "eval",
        "xargs",
        "stdbuf",
        "command",
        "strace",
    ]
)
SINGLE_RUNNERS = frozenset(["npx", "bunx", "pnpx", "uvx"])
RUNNER_PAIRS = frozenset(
    {
        ("uv", "run"),
        ("tool", "run"),
        ("npm", "exec"),
        ("npm", "x"),
        ("pnpm", "exec"),
        ("pnpm", "dlx"),
        ("yarn", "dlx"),
        ("yarn", "exec"),
        ("bun", "x"),
        ("poetry", "run"),
        ("pipenv", "run"),
        ("conda", "run"),
        ("pipx", "run"),
        ("pdm", "run"),
        ("hatch", "run"),
        ("rye", "run"),
        ("pixi", "run"),
        ("bundle", "exec"),
        ("mise", "exec"),
        ("go", "run"),
        ("cargo", "run"),
        ("coverage", "run"),
    }
)
INTERPRETER_TAILS = (["-c", "import os"], ["-e", "require('fs')"], ["other_script.py"], ["-"])
SHELL_TAILS = (["-c", "rm -rf x"], ["other.sh"], ["-s"])
RUNNER_TAILS = (
    ["other-pkg"],
    ["python", "-c", "import os"],
    ["python3", "other_script.py"],
    ["node", "-e", "x"],
    ["bash", "-c", "rm -rf x"],
)
WRAPPER_TAILS = (["python3", "-c", "import os"], ["bash", "-c", "rm -rf x"], ["npx", "other-pkg"])
EVERYWHERE = (
    "python3 -c 'import os'",
    "python -c 'import os'",
    "node -e 'require(1)'",
    "bash -c 'rm -rf x'",
    "bash other.sh",
    "./other.sh",
    "npx other-pkg",
    "uv run python -c 'import os'",
    "rm -rf x",
    "perl -e 1",
    "curl https://example.com",
    "echo x | python3",
    "echo x | bash",
)


def specs(expected: Expected) -> tuple[str, ...]:
    if expected is None:
        return ()
    return (expected,) if isinstance(expected, str) else expected


def test_the_table_is_big_and_has_no_duplicates() -> None:
    commands = [c for c, _ in ROWS]
    assert len(commands) >= 250
    assert len(set(commands)) == len(commands)


@pytest.mark.parametrize(("command", "expected"), ROWS, ids=[c for c, _ in ROWS])
def test_suggested_rules(command: str, expected: Expected) -> None:
    rules = suggest_bash_rules(command).rules
    assert rules == tuple(f"Bash({s})" for s in specs(expected))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = Path(os.path.realpath(tmp_path_factory.mktemp("home")))
    ws = home / "proj"
    (ws / "src").mkdir(parents=True)
    return ws, home


def decide(where: tuple[Path, Path], allow: tuple[str, ...], command: str) -> str:
    ws, home = where
    engine = PermissionEngine(ws, allow=[Rule.parse(r, "test") for r in allow], user_home=home)
    return engine.decide(PermissionRequest("Bash", {"command": command}, command=command)).behavior


def siblings(command: str) -> set[str]:
    """Commands a rule made from ``command`` must not allow: at every interpreter, shell,
    runner or wrapper in it, the same words followed by other code or another script."""
    found = set(EVERYWHERE)
    own: set[str] = set()
    for sub in analyze(command).subcommands:
        own.add(shlex.join(sub.argv))
        for argv in (sub.written, sub.argv):
            found.update(_siblings_of(list(argv)))
    return found - own - {command}


def _siblings_of(argv: list[str]) -> set[str]:
    found: set[str] = set()
    for k, word in enumerate(argv):
        head = argv[: k + 1]
        tails = _tails(argv, k) if _runs_here(argv, k) else ()
        if word == "-m" and k and INTERPRETER.match(posixpath.basename(argv[k - 1])):
            tails = (["http.server"], ["code"], ["other_module"])
        found.update(shlex.join(head + tail) for tail in tails)
    return found


def _is_runner_end(argv: list[str], k: int) -> bool:
    single = posixpath.basename(argv[k]) in SINGLE_RUNNERS
    return single or (k > 0 and (argv[k - 1], argv[k]) in RUNNER_PAIRS)


def _runs_here(argv: list[str], k: int) -> bool:
    """Whether word ``k`` names a program: the first word, or any word after a runner
    (`uv run --with x python`), where a program name may follow the runner's options."""
    return k == 0 or any(_is_runner_end(argv, j) for j in range(k))


def _tails(argv: list[str], k: int) -> tuple[list[str], ...]:
    name = posixpath.basename(argv[k])
    if INTERPRETER.match(name):
        return INTERPRETER_TAILS
    if name in SHELLS and (k == 0 or name not in (".", "source")):  # `black .` is no shell
        return SHELL_TAILS
    if _is_runner_end(argv, k):
        return RUNNER_TAILS
    return WRAPPER_TAILS if name in WRAPPERS else ()


def _ends_badly(words: list[str]) -> bool:
    """Whether a prefix ends where anything at all could follow: an interpreter, shell,
    wrapper or runner in a program's place, or ``-m``."""
    k = len(words) - 1
    if words[k] == "-m" or _is_runner_end(words, k):
        return True
    return _runs_here(words, k) and bool(_tails(words, k))


@pytest.mark.parametrize(("command", "expected"), ROWS, ids=[c for c, _ in ROWS])
def test_rules_allow_their_command_and_not_its_dangerous_siblings(
    workspace: tuple[Path, Path], command: str, expected: Expected
) -> None:
    suggestion = suggest_bash_rules(command)
    rules = suggestion.rules
    for rule in rules:
        spec = Rule.parse(rule, "test").specifier
        pattern = BashPattern.compile(spec)
        assert pattern.kind in ("prefix", "exact"), rule  # never a glob, never everything
        if pattern.kind == "prefix":
            assert pattern.words and not _ends_badly(list(pattern.words)), rule
    if decide(workspace, ("Bash(*)",), command) == "allow":
        # Any rule at all could allow it: the offered ones do, unless some part got none.
        wanted = "ask" if suggestion.uncovered else "allow"
        assert decide(workspace, rules, command) == wanted, rules
    for sibling in sorted(siblings(command)):
        assert decide(workspace, rules, sibling) != "allow", (sibling, rules)
