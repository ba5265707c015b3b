-- A database as the previous WebGen (main at e5d7101, EnsureCreated, no migration history) left it: the schema and
-- the class's rows are `sqlite3 .dump` of a file that version made at its start in class mode (instructor
-- teacher@webgen.test); the runs, metric point, review and invitation below are written as that version stored them,
-- the model as ModelKind's number (in the review's column and in each run's options JSON) and the review status too.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "AspNetRoles" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_AspNetRoles" PRIMARY KEY,
    "Name" TEXT NULL,
    "NormalizedName" TEXT NULL,
    "ConcurrencyStamp" TEXT NULL
);
INSERT INTO AspNetRoles VALUES('6e638a49-954d-40fa-bf00-47db878ad3c8','Student','STUDENT','edb3af22-d2e6-4c87-9eb7-d3fbca76a9b6');
INSERT INTO AspNetRoles VALUES('d912ae15-80d5-4c50-886f-98e4e3882e79','Instructor','INSTRUCTOR','bdb916cd-1b62-436f-b11f-f51b7262210c');
CREATE TABLE IF NOT EXISTS "AspNetUsers" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_AspNetUsers" PRIMARY KEY,
    "UserName" TEXT NULL,
    "NormalizedUserName" TEXT NULL,
    "Email" TEXT NULL,
    "NormalizedEmail" TEXT NULL,
    "EmailConfirmed" INTEGER NOT NULL,
    "PasswordHash" TEXT NULL,
    "SecurityStamp" TEXT NULL,
    "ConcurrencyStamp" TEXT NULL,
    "PhoneNumber" TEXT NULL,
    "PhoneNumberConfirmed" INTEGER NOT NULL,
    "TwoFactorEnabled" INTEGER NOT NULL,
    "LockoutEnd" TEXT NULL,
    "LockoutEnabled" INTEGER NOT NULL,
    "AccessFailedCount" INTEGER NOT NULL
);
INSERT INTO AspNetUsers VALUES('6cf95adc-f58d-41df-8135-4bd17199ec94','teacher@webgen.test','TEACHER@WEBGEN.TEST','teacher@webgen.test','TEACHER@WEBGEN.TEST',1,'AQAAAAIAAYagAAAAEPF1nr1oU+jlnQzJky64H//n7Hx5gLicBPqgmAWBmfJjxpuqGIxbY/y8gnN7cQXsaQ==','AF7O3JXSQ373SHFU7I5EC6J6GIK5LNMR','e9c01758-3271-47d7-b91c-22f2262eaae9',NULL,0,0,NULL,0,0);
CREATE TABLE IF NOT EXISTS "ClassSettings" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_ClassSettings" PRIMARY KEY,
    "Registration" TEXT NOT NULL,
    "MaxRunningPerUser" INTEGER NOT NULL,
    "MaxQueuedPerUser" INTEGER NOT NULL,
    "MaxIterationsPerRun" INTEGER NOT NULL,
    "MaxBatchSizePerRun" INTEGER NOT NULL,
    "MaxZDimPerRun" INTEGER NOT NULL,
    "MaxKPerRun" INTEGER NOT NULL,
    "MinCheckpointEvery" INTEGER NOT NULL,
    "DiskQuotaMB" INTEGER NOT NULL
);
INSERT INTO ClassSettings VALUES(1,'Invitation',1,3,30000,500,128,1000,1000,1024);
CREATE TABLE IF NOT EXISTS "Invitations" (
    "Code" TEXT NOT NULL CONSTRAINT "PK_Invitations" PRIMARY KEY,
    "CreatedUtc" TEXT NOT NULL,
    "UsedBy" TEXT NULL,
    "UsedUtc" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "MetricPoints" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_MetricPoints" PRIMARY KEY AUTOINCREMENT,
    "RunId" TEXT NOT NULL,
    "Step" INTEGER NOT NULL,
    "Loss" REAL NOT NULL,
    "Kl" REAL NOT NULL,
    "Rec" REAL NOT NULL,
    "StepsPerSecond" REAL NOT NULL,
    "AtUtc" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "Reviews" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Reviews" PRIMARY KEY,
    "Student" TEXT NOT NULL,
    "Model" INTEGER NOT NULL,
    "SsvaeGenWeight" REAL NULL,
    "FileName" TEXT NOT NULL,
    "FileBytes" INTEGER NOT NULL,
    "Format" TEXT NOT NULL,
    "ZDim" INTEGER NOT NULL,
    "K" INTEGER NULL,
    "Status" INTEGER NOT NULL,
    "MetricsJson" TEXT NULL,
    "Error" TEXT NULL,
    "Comment" TEXT NOT NULL,
    "CreatedUtc" TEXT NOT NULL,
    "FinishedUtc" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "Runs" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Runs" PRIMARY KEY,
    "Group" TEXT NOT NULL,
    "OptionsJson" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "Step" INTEGER NOT NULL,
    "Loss" REAL NOT NULL,
    "Kl" REAL NOT NULL,
    "Rec" REAL NOT NULL,
    "StepsPerSecond" REAL NOT NULL,
    "PreviewStep" INTEGER NOT NULL,
    "TestAccuracyJson" TEXT NULL,
    "MetricsJson" TEXT NULL,
    "Checkpoint" TEXT NULL,
    "Grid" TEXT NULL,
    "Error" TEXT NULL,
    "CreatedUtc" TEXT NOT NULL,
    "FinishedUtc" TEXT NULL,
    "Crashes" INTEGER NOT NULL,
    "OwnerId" TEXT NULL,
    "OwnerName" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "AspNetRoleClaims" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_AspNetRoleClaims" PRIMARY KEY AUTOINCREMENT,
    "RoleId" TEXT NOT NULL,
    "ClaimType" TEXT NULL,
    "ClaimValue" TEXT NULL,
    CONSTRAINT "FK_AspNetRoleClaims_AspNetRoles_RoleId" FOREIGN KEY ("RoleId") REFERENCES "AspNetRoles" ("Id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "AspNetUserClaims" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_AspNetUserClaims" PRIMARY KEY AUTOINCREMENT,
    "UserId" TEXT NOT NULL,
    "ClaimType" TEXT NULL,
    "ClaimValue" TEXT NULL,
    CONSTRAINT "FK_AspNetUserClaims_AspNetUsers_UserId" FOREIGN KEY ("UserId") REFERENCES "AspNetUsers" ("Id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "AspNetUserLogins" (
    "LoginProvider" TEXT NOT NULL,
    "ProviderKey" TEXT NOT NULL,
    "ProviderDisplayName" TEXT NULL,
    "UserId" TEXT NOT NULL,
    CONSTRAINT "PK_AspNetUserLogins" PRIMARY KEY ("LoginProvider", "ProviderKey"),
    CONSTRAINT "FK_AspNetUserLogins_AspNetUsers_UserId" FOREIGN KEY ("UserId") REFERENCES "AspNetUsers" ("Id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "AspNetUserRoles" (
    "UserId" TEXT NOT NULL,
    "RoleId" TEXT NOT NULL,
    CONSTRAINT "PK_AspNetUserRoles" PRIMARY KEY ("UserId", "RoleId"),
    CONSTRAINT "FK_AspNetUserRoles_AspNetRoles_RoleId" FOREIGN KEY ("RoleId") REFERENCES "AspNetRoles" ("Id") ON DELETE CASCADE,
    CONSTRAINT "FK_AspNetUserRoles_AspNetUsers_UserId" FOREIGN KEY ("UserId") REFERENCES "AspNetUsers" ("Id") ON DELETE CASCADE
);
INSERT INTO AspNetUserRoles VALUES('6cf95adc-f58d-41df-8135-4bd17199ec94','d912ae15-80d5-4c50-886f-98e4e3882e79');
CREATE TABLE IF NOT EXISTS "AspNetUserTokens" (
    "UserId" TEXT NOT NULL,
    "LoginProvider" TEXT NOT NULL,
    "Name" TEXT NOT NULL,
    "Value" TEXT NULL,
    CONSTRAINT "PK_AspNetUserTokens" PRIMARY KEY ("UserId", "LoginProvider", "Name"),
    CONSTRAINT "FK_AspNetUserTokens_AspNetUsers_UserId" FOREIGN KEY ("UserId") REFERENCES "AspNetUsers" ("Id") ON DELETE CASCADE
);
DELETE FROM sqlite_sequence;
CREATE INDEX "IX_AspNetRoleClaims_RoleId" ON "AspNetRoleClaims" ("RoleId");
CREATE UNIQUE INDEX "RoleNameIndex" ON "AspNetRoles" ("NormalizedName");
CREATE INDEX "IX_AspNetUserClaims_UserId" ON "AspNetUserClaims" ("UserId");
CREATE INDEX "IX_AspNetUserLogins_UserId" ON "AspNetUserLogins" ("UserId");
CREATE INDEX "IX_AspNetUserRoles_RoleId" ON "AspNetUserRoles" ("RoleId");
CREATE INDEX "EmailIndex" ON "AspNetUsers" ("NormalizedEmail");
CREATE UNIQUE INDEX "UserNameIndex" ON "AspNetUsers" ("NormalizedUserName");
CREATE INDEX "IX_MetricPoints_RunId_Step" ON "MetricPoints" ("RunId", "Step");
CREATE INDEX "IX_Runs_OwnerId_Status" ON "Runs" ("OwnerId", "Status");
CREATE INDEX "IX_Runs_Status_CreatedUtc" ON "Runs" ("Status", "CreatedUtc");
INSERT INTO "Runs" ("Id", "Group", "OptionsJson", "Status", "Step", "Loss", "Kl", "Rec", "StepsPerSecond", "PreviewStep", "TestAccuracyJson", "MetricsJson", "Checkpoint", "Grid", "Error", "CreatedUtc", "FinishedUtc", "Crashes", "OwnerId", "OwnerName")
VALUES ('0B1D6C3E-8F4A-4E51-9C2B-6A7D8E9F0A11', '0B1D6C3E-8F4A-4E51-9C2B-6A7D8E9F0A11',
  '{"model":2,"iterations":30000,"seed":0,"run":0,"batchSize":100,"learningRate":0.001,"zDim":64,"k":500,"genWeight":1,"classWeight":100,"checkpointEvery":10000,"device":"auto"}',
  'Completed', 30000, 120.5, 20.25, 100.25, 85.5, 30000, '[{"step":500,"accuracy":0.91}]', '{"lowerBound":null,"accuracy":0.9512}', NULL, NULL, NULL,
  '2026-11-29 10:00:00', '2026-11-29 10:06:00', 0, '6cf95adc-f58d-41df-8135-4bd17199ec94', 'teacher@webgen.test');
INSERT INTO "Runs" ("Id", "Group", "OptionsJson", "Status", "Step", "Loss", "Kl", "Rec", "StepsPerSecond", "PreviewStep", "TestAccuracyJson", "MetricsJson", "Checkpoint", "Grid", "Error", "CreatedUtc", "FinishedUtc", "Crashes", "OwnerId", "OwnerName")
VALUES ('5C2E7A90-1B3D-4F6E-8A9C-0D1E2F3A4B22', '5C2E7A90-1B3D-4F6E-8A9C-0D1E2F3A4B22',
  '{"model":1,"iterations":20000,"seed":3,"run":0,"batchSize":100,"learningRate":0.001,"zDim":10,"k":500,"genWeight":1,"classWeight":100,"checkpointEvery":10000,"device":"auto"}',
  'Cancelled', 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL,
  '2026-11-29 11:00:00', '2026-11-29 11:00:05', 0, '6cf95adc-f58d-41df-8135-4bd17199ec94', 'teacher@webgen.test');
INSERT INTO "MetricPoints" ("RunId", "Step", "Loss", "Kl", "Rec", "StepsPerSecond", "AtUtc")
VALUES ('0B1D6C3E-8F4A-4E51-9C2B-6A7D8E9F0A11', 30000, 120.5, 20.25, 100.25, 85.5, '2026-11-29 10:05:59');
INSERT INTO "Reviews" ("Id", "Student", "Model", "SsvaeGenWeight", "FileName", "FileBytes", "Format", "ZDim", "K", "Status", "MetricsJson", "Error", "Comment", "CreatedUtc", "FinishedUtc")
VALUES ('9A8B7C6D-5E4F-4321-8765-43210FEDCBA9', 'Ada Lovelace', 2, 1.0, 'model-30000.pt', 4096, 'PyTorch', 64, NULL, 2,
  '{"lowerBound":null,"accuracy":0.9488}', NULL, 'Well done.', '2026-11-29 12:00:00', '2026-11-29 12:01:00');
INSERT INTO "Invitations" ("Code", "CreatedUtc", "UsedBy", "UsedUtc") VALUES ('K7M2Q9XA', '2026-11-29 09:00:00', NULL, NULL);
COMMIT;
