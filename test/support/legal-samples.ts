/**
 * Short legal documents written for the tests (fictional parties and cases), in the shapes the
 * classifier and the chunker meet: court filings, an SEC-exhibit style agreement, a letter, a
 * docket sheet, a form.
 */

export const ORDER = `UNITED STATES DISTRICT COURT
NORTHERN DISTRICT OF CALIFORNIA

ACME WIDGETS, INC.,
Plaintiff,
v.
BETA SUPPLY CO.,
Defendant.

Case No. 3:21-cv-04512-JSC

ORDER GRANTING DEFENDANT'S MOTION TO DISMISS

Before the Court is Defendant Beta Supply Co.'s motion to dismiss the complaint under Federal Rule of Civil Procedure 12(b)(6). Having considered the parties' briefs and the relevant legal authority, the Court GRANTS the motion with leave to amend.

BACKGROUND

Acme alleges that Beta agreed to deliver 4,000 industrial widgets by June 1, 2020, and delivered none. Acme sued for breach of contract and fraud.

DISCUSSION

A complaint must contain sufficient factual matter, accepted as true, to state a claim to relief that is plausible on its face. Ashcroft v. Iqbal, 556 U.S. 662, 678 (2009). The fraud claim does not identify who made the alleged misrepresentations, or when. Fed. R. Civ. P. 9(b).

CONCLUSION

For the foregoing reasons, the motion is GRANTED. Plaintiff may file an amended complaint within 21 days of this Order.

IT IS SO ORDERED.

Dated: March 4, 2021

JACQUELINE S. CORLEY
United States District Judge`

export const OPINION = `United States Court of Appeals
For the First Circuit

No. 23-1846

CEDAR HILL CHAPEL OF ROCKPORT,
Plaintiff, Appellant,
v.
DIANE T. HOLLISTER, in her official capacity as Governor of the State of Maine,
Defendant, Appellee.

APPEAL FROM THE UNITED STATES DISTRICT COURT
FOR THE DISTRICT OF MAINE

Before
Linwood, Chief Judge,
Marchetti and Okafor, Circuit Judges.

MARCHETTI, Circuit Judge. This interlocutory appeal comes to us from a dispute over a county building permit. The district court declined to issue a temporary restraining order. We dismiss the appeal for lack of appellate jurisdiction.

I. BACKGROUND

The Chapel sued the Governor in the district court, and the district court turned down its motion for a temporary restraining order.

II. ANALYSIS

An order refusing a temporary restraining order is generally not open to immediate appeal. We review questions of our own jurisdiction de novo.

III. CONCLUSION

Nothing more need be said. The appeal is dismissed for lack of appellate jurisdiction.

DISMISSED.`

export const COMPLAINT = `UNITED STATES DISTRICT COURT
SOUTHERN DISTRICT OF NEW YORK

MARIA GONZALEZ, individually and on behalf of all others similarly situated,
Plaintiff,
v.
NORTHSTAR LENDING LLC,
Defendant.

Civil Action No. 1:22-cv-01234

CLASS ACTION COMPLAINT AND DEMAND FOR JURY TRIAL

Plaintiff Maria Gonzalez ("Plaintiff") brings this class action against Northstar Lending LLC ("Defendant") and alleges as follows upon personal knowledge as to herself and upon information and belief as to all other matters.

NATURE OF THE ACTION

1. This action arises from Defendant's practice of calling consumers' cellular telephones with an automatic telephone dialing system without their consent.

JURISDICTION AND VENUE

2. This Court has jurisdiction under 28 U.S.C. § 1331 because this action arises under the Telephone Consumer Protection Act, 47 U.S.C. § 227.

COUNT I
Violation of the Telephone Consumer Protection Act

3. Defendant placed at least 40 calls to Plaintiff's cellular telephone between January and March 2021.

PRAYER FOR RELIEF

WHEREFORE, Plaintiff respectfully requests that the Court enter judgment against Defendant, award statutory damages of $500 per call, and grant such further relief as is just.

JURY TRIAL DEMANDED`

export const MOTION = `UNITED STATES DISTRICT COURT
DISTRICT OF MASSACHUSETTS

JOHN DOE,
Plaintiff,
v.
TRUSTEES OF BAY STATE COLLEGE,
Defendant.

Case No. 1:20-cv-11234-ADB

DEFENDANT'S MOTION TO DISMISS AND MEMORANDUM OF LAW IN SUPPORT

Defendant Trustees of Bay State College (the "College") hereby moves this Court to dismiss the Complaint under Fed. R. Civ. P. 12(b)(6), and respectfully submits this memorandum of law in support.

ARGUMENT

I. THE CONTRACT CLAIM FAILS

The student handbook is not a contract, and the Complaint identifies no promise the College broke.

II. THE NEGLIGENCE CLAIM IS TIME-BARRED

The events alleged took place in 2016, more than three years before suit.

For these reasons, the Court should grant the motion and dismiss the Complaint with prejudice.

Respectfully submitted,
/s/ Ann Lee
Ann Lee (BBO #123456)
Counsel for Defendant`

export const AGREEMENT = `EXHIBIT 10.4

MASTER SERVICES AGREEMENT

This Master Services Agreement (the "Agreement") is made and entered into as of January 15, 2019 (the "Effective Date") by and between Redwood Analytics, Inc., a Delaware corporation ("Provider"), and Summit Health Partners LLC, a Colorado limited liability company ("Client").

WHEREAS, Provider offers data analytics services; and

WHEREAS, Client wishes to engage Provider to perform such services;

NOW, THEREFORE, in consideration of the mutual covenants set forth herein, the parties hereto agree as follows:

ARTICLE I
DEFINITIONS

1.1 "Services" means the analytics services described in each Statement of Work.

1.2 "Fees" means the amounts payable under Section 3.1.

ARTICLE II
SERVICES

2.1 Provider shall perform the Services in a professional and workmanlike manner.

ARTICLE III
FEES AND PAYMENT

3.1 Client shall pay Provider a monthly fee of $25,000.00 within thirty (30) days of each invoice.

ARTICLE IV
MISCELLANEOUS

4.1 Governing Law. This Agreement shall be governed by the laws of the State of New York.

4.2 Counterparts. This Agreement may be executed in counterparts, each of which shall be deemed an original.

IN WITNESS WHEREOF, the parties hereto have executed this Agreement as of the Effective Date.

REDWOOD ANALYTICS, INC.
By: /s/ Dana Whitfield
Name: Dana Whitfield
Title: Chief Executive Officer

SUMMIT HEALTH PARTNERS LLC
By: /s/ Omar Haddad
Name: Omar Haddad
Title: Managing Member`

export const LETTER = `KELLER & ROSS LLP
200 Park Avenue
New York, NY 10166

April 2, 2021

VIA EMAIL

Jonathan Pierce, Esq.
Pierce Legal Group
1 Market Street
San Francisco, CA 94105

Re: Alpha Labs LLC v. Omega Pharma Inc., No. 1:19-cv-01410

Dear Counsel:

We write regarding Omega's responses to Alpha's First Set of Interrogatories. Several responses are incomplete. Please let us know by April 9 whether Omega will supplement them, and your availability for a meet-and-confer call.

Very truly yours,

/s/ Laura Keller
Laura Keller

cc: Michael Ross`

export const DOCKET = `U.S. District Court
District of Delaware (Wilmington)
CIVIL DOCKET FOR CASE #: 1:19-cv-01410-MN

Alpha Labs LLC v. Omega Pharma Inc.
Assigned to: Judge Maryellen Noreika
Cause: 35:271 Patent Infringement
Date Filed: 07/29/2019
Jury Demand: Plaintiff
Nature of Suit: 835 Patent - Abbreviated New Drug Application

Date Filed # Docket Text
07/29/2019 1 COMPLAINT filed with Jury Demand against Omega Pharma Inc. Filing fee $ 400. (Attachments: # 1 Exhibit A)
07/30/2019 2 Notice of Appearance by Jonathan Pierce on behalf of Omega Pharma Inc.
08/19/2019 3 ANSWER to Complaint by Omega Pharma Inc.
09/03/2019 4 SCHEDULING ORDER: Fact discovery due by 3/20/2020. Signed by Judge Maryellen Noreika.`

export const FORM = `UNITED STATES COURT OF APPEALS FOR THE NINTH CIRCUIT

Form 34. Corporate Disclosure Statement

Instructions for this form: http://www.ca9.uscourts.gov/forms/form34instructions.pdf

9th Cir. Case Number(s): ____________________

Case Name: ____________________

Pursuant to FRAP 26.1, the undersigned states:

Does the party have a parent corporation? (check one) ☐ Yes ☐ No

Is 10% or more of the party's stock owned by a publicly held corporation? ☐ Yes ☐ No

Signature: ____________________ Date: ____________

Name of Counsel: ____________________`
